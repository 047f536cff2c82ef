package com.necpgame.mesh.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The load generator's publisher (issue 17's personal-channel goal measured p99 3.77 s: the publisher's own queue).
 * Clock in nanoseconds; 2,000 events/s on 4 connections with 5 ms ticks, as bench/socket-load.sh runs it.
 */
class PublishScheduleTest {

  private static final long MS = 1_000_000L;
  private static final long T0 = 1_000 * MS;

  @Test
  void eventsDueWhileEveryConnectionIsBusyLeaveInOneRequestWhenOneIsAnswered() {
    PublishSchedule schedule = new PublishSchedule(4, true, 1000);
    PublishSchedule.Channel personal = schedule.add(2000, true);
    int inFlight = 0;
    for (long t = 0; t <= 200; t += 5) { // the mesh answers nothing for 200 ms
      schedule.tick(T0 + t * MS, true);
      inFlight += schedule.sends(inFlight).size();
    }
    assertEquals(4, inFlight, "never more requests than connections");
    assertEquals(401, personal.sent() + schedule.pending(), "events 0..400 are due by 200 ms");
    assertEquals(31, personal.sent(), "1 + 10 + 10 + 10 events went before every connection was busy");
    List<PublishSchedule.Send> next = schedule.sends(3); // one answered
    assertEquals(1, next.size());
    assertEquals(370, next.get(0).count(), "everything waiting in one request, not 37 requests of 10");
    assertEquals(0, schedule.pending());
    assertEquals(T0 + 31 * 500_000L, next.get(0).firstDue(), "latency still counts from when each event was due");
  }

  @Test
  void perTickSendsEachTicksEventsInRequestsOfTheirOwnWhateverIsInFlight() {
    PublishSchedule schedule = new PublishSchedule(4, false, 1000);
    schedule.add(2000, true);
    int requests = 0;
    for (long t = 0; t <= 200; t += 5) {
      schedule.tick(T0 + t * MS, true);
      requests += schedule.sends(1000).size();
    }
    assertEquals(41, requests, "a request per tick: 200 a second, queued behind the busy connections");
    assertEquals(0, schedule.pending());
  }

  @Test
  void keepsPublishingAtTheRateWhileRequestsAreAnsweredAtOnce() {
    PublishSchedule schedule = new PublishSchedule(4, true, 1000);
    PublishSchedule.Channel shared = schedule.add(100, false);
    PublishSchedule.Channel personal = schedule.add(2000, true);
    long events = 0;
    for (long t = 0; t < 1000; t += 5) {
      schedule.tick(T0 + t * MS, true);
      for (PublishSchedule.Send send : schedule.sends(0)) {
        events += send.count();
        assertTrue(send.count() <= 1000);
      }
    }
    assertEquals(100, shared.sent(), "100 shared events due in the first second");
    assertEquals(1991, personal.sent(), "2,000 a second: events 0..1990 due by 995 ms");
    assertEquals(events, shared.sent() + personal.sent());
  }

  @Test
  void whatWasDueWhenPublishingStopsIsStillSentAndNothingAfter() {
    PublishSchedule schedule = new PublishSchedule(1, true, 1000);
    PublishSchedule.Channel personal = schedule.add(2000, true);
    schedule.tick(T0, true);
    schedule.sends(0);
    schedule.tick(T0 + 100 * MS, true); // 200 more due, the one connection busy
    assertEquals(200, schedule.pending());
    schedule.tick(T0 + 5_000 * MS, false); // publishing stopped meanwhile
    assertEquals(200, schedule.pending());
    assertEquals(1, schedule.sends(0).size());
    assertEquals(201, personal.sent());
    assertEquals(0, schedule.pending());
  }

  @Test
  void largeBacklogsGoInRequestsOfAtMostMaxBatchOldestChannelFirst() {
    PublishSchedule schedule = new PublishSchedule(4, true, 1000);
    PublishSchedule.Channel shared = schedule.add(1000, false);
    PublishSchedule.Channel personal = schedule.add(2000, true);
    schedule.tick(T0, true);
    schedule.tick(T0 + 2_000 * MS, true); // 2,001 shared and 4,001 personal due at once
    List<PublishSchedule.Send> sends = schedule.sends(0);
    assertEquals(4, sends.size());
    sends.forEach(s -> assertEquals(1000, s.count()));
    for (int i = 1; i < sends.size(); i++) {
      assertTrue(sends.get(i - 1).firstDue() <= sends.get(i).firstDue(), "oldest events first: " + sends);
    }
    assertEquals(6002 - 4000, schedule.pending());
    assertTrue(shared.sent() > 0 && personal.sent() > 0);
  }
}
