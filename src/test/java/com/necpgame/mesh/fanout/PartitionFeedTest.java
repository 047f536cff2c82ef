package com.necpgame.mesh.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.envelope.EnvelopeFilter;
import com.necpgame.mesh.kafka.PartitionScan;
import com.necpgame.mesh.kafka.TopicPatterns;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The hub's index and the hand-off between the live tail and sockets catching up, with no Kafka and no threads. */
class PartitionFeedTest {

  private static final int PLAYER = 0;
  private final FanoutMeters meters = new FanoutMeters(new SimpleMeterRegistry());
  private final TopicIndex index = new TopicIndex();

  private PartitionFeed feed(int maxEvents) {
    PartitionFeed feed = new PartitionFeed(new TopicPartition("t", 0), index, new History(maxEvents, 1 << 30, 600_000),
        meters);
    feed.position(0);
    return feed;
  }

  private static Outbox outbox(int capacity) {
    return new Outbox(capacity, new Outbox.Socket() {
      @Override
      public void wake() {}

      @Override
      public void failed(Throwable error) {
        throw new AssertionError(error);
      }
    });
  }

  private Subscription subscribe(Outbox outbox, String player, Set<String> types, EnvelopeFilter filter) {
    Subscription s = new Subscription("s" + outbox.subscriptions.size(), outbox, TopicPatterns.compile(List.of("t")),
        types, filter, player == null ? -1 : PLAYER, player, PartitionScan.END);
    outbox.subscriptions.add(s);
    index.add(s);
    return s;
  }

  private Subscription subscribe(Outbox outbox, String player) {
    return subscribe(outbox, player, Set.of(), EnvelopeFilter.ALL);
  }

  /** Everything queued, drained: the offsets of its event frames. */
  private static List<Long> drain(Outbox outbox) {
    List<Long> out = new ArrayList<>();
    for (Object next = outbox.poll(); next != null; next = outbox.poll()) {
      if (next instanceof Frame f) {
        out.add(f.offset);
      }
    }
    return out;
  }

  private static void append(PartitionFeed feed, long offset, String player) {
    feed.append(HistoryTest.frame(offset, player, 0), 0);
  }

  @Test
  void anEventForOnePlayerLooksUpItsSubscribersOnlyAmongTenThousand() {
    PartitionFeed feed = feed(100);
    List<Outbox> players = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      Outbox o = outbox(10);
      subscribe(o, "p-" + i);
      feed.install(o, 0);
      players.add(o);
    }
    Outbox everything = outbox(10);
    subscribe(everything, null);
    feed.install(everything, 0);

    AtomicInteger candidates = new AtomicInteger();
    index.forEachCandidate(HistoryTest.frame(0, "p-42", 0), s -> candidates.incrementAndGet());
    assertEquals(2, candidates.get(), "the player's own subscription and the unkeyed one, not 10,001");

    append(feed, 0, "p-42");
    assertEquals(List.of(0L), drain(players.get(42)));
    assertEquals(List.of(0L), drain(everything));
    assertEquals(0, players.stream().mapToInt(Outbox::waiting).sum(), "nobody else");
    assertEquals(2.0, meters.deliveries());
  }

  @Test
  void aSocketWithSeveralMatchingSubscriptionsGetsEachFrameOnce() {
    PartitionFeed feed = feed(100);
    Outbox o = outbox(10);
    subscribe(o, null);
    subscribe(o, "p-1");
    subscribe(o, null, Set.of("game.chat"), EnvelopeFilter.ALL);
    feed.install(o, 0);
    append(feed, 0, "p-1");
    append(feed, 1, "p-2");
    assertEquals(List.of(0L, 1L), drain(o));
  }

  @Test
  void typesKeysAndFiltersAreCheckedPerCandidate() {
    PartitionFeed feed = feed(100);
    Outbox chat = outbox(10);
    subscribe(chat, null, Set.of("game.chat"), EnvelopeFilter.ALL);
    feed.install(chat, 0);
    Outbox filtered = outbox(10);
    subscribe(filtered, null, Set.of(), EnvelopeFilter.parse(new JsonObject().put("data.n", new JsonArray().add(2)),
        "/filter", new JsonArray()));
    feed.install(filtered, 0);
    for (long o = 0; o < 4; o++) {
      append(feed, o, "p");
    }
    assertEquals(List.of(), drain(chat), "only game.kill was sent");
    assertEquals(List.of(2L), drain(filtered));
  }

  @Test
  void aFullSocketIsLeftBehindWithoutSlowingTheOthersThenCatchesUpFromHistoryAndGoesLive() {
    PartitionFeed feed = feed(1000);
    Outbox slow = outbox(3);
    subscribe(slow, null);
    feed.install(slow, 0);
    Outbox fast = outbox(3);
    subscribe(fast, null);
    feed.install(fast, 0);
    List<Long> fastGot = new ArrayList<>();
    for (long o = 0; o < 20; o++) {
      append(feed, o, "p");
      fastGot.addAll(drain(fast));
    }
    assertEquals(LongStream.range(0, 20).boxed().toList(), fastGot, "the fast one got everything at once");
    assertEquals(3, slow.waiting(), "the slow one holds what fits");
    assertTrue(slow.behind());
    List<Long> slowGot = new ArrayList<>(drain(slow));
    int rounds = 0;
    while (slow.behind()) {
      PartitionFeed.Step step = feed.advance(slow);
      assertTrue(step == PartitionFeed.Step.FULL || step == PartitionFeed.Step.LIVE, step.toString());
      slowGot.addAll(drain(slow));
      append(feed, 20 + rounds, "p"); // the tail goes on meanwhile
      rounds++;
      assertTrue(rounds < 100);
    }
    append(feed, 20 + rounds, "p");
    slowGot.addAll(drain(slow));
    assertEquals(LongStream.range(0, 21 + rounds).boxed().toList(), slowGot, "no gap, no duplicate, in order");
    assertEquals(1.0, meters.catchUps("history"));
  }

  @Test
  void randomInterleavingsOfTailDrainAndCatchUpNeverLoseOrRepeat() {
    for (int seed = 0; seed < 200; seed++) {
      Random random = new Random(seed);
      TopicIndex fresh = new TopicIndex();
      PartitionFeed feed = new PartitionFeed(new TopicPartition("t", 0), fresh, new History(1 + random.nextInt(8),
          1 << 30, 600_000), meters);
      feed.position(0);
      Outbox o = outbox(1 + random.nextInt(4));
      Subscription s = new Subscription("s", o, TopicPatterns.compile(List.of("t")), Set.of(), EnvelopeFilter.ALL, -1,
          null, PartitionScan.END);
      o.subscriptions.add(s);
      fresh.add(s);
      feed.install(o, 0);
      List<Frame> log = new ArrayList<>();
      List<Long> got = new ArrayList<>();
      long next = 0;
      for (int step = 0; step < 300; step++) {
        int op = random.nextInt(4);
        if (op == 0 || op == 1) {
          Frame f = HistoryTest.frame(next++, "p", 0);
          log.add(f);
          feed.append(f, 0);
        } else if (op == 2) {
          for (int k = random.nextInt(3); k >= 0; k--) {
            Object x = o.poll();
            if (x instanceof Frame f) {
              got.add(f.offset);
            }
          }
        } else if (feed.advance(o) == PartitionFeed.Step.KAFKA) {
          long from = feed.lowest(List.of(o));
          List<Frame> fromKafka = log.subList((int) from, (int) feed.floor());
          feed.readFromKafka(new ArrayList<>(fromKafka), new ArrayList<>(List.of(o)), feed.floor());
          feed.readEnded(List.of(o));
        }
      }
      for (int guard = 0; guard < 10_000 && (o.behind() || o.waiting() > 0); guard++) {
        got.addAll(drain(o));
        if (feed.advance(o) == PartitionFeed.Step.KAFKA) {
          long from = feed.lowest(List.of(o));
          feed.readFromKafka(new ArrayList<>(log.subList((int) from, (int) feed.floor())),
              new ArrayList<>(List.of(o)), feed.floor());
          feed.readEnded(List.of(o));
        }
      }
      got.addAll(drain(o));
      assertFalse(o.behind(), "seed " + seed);
      assertEquals(LongStream.range(0, next).boxed().toList(), got, "seed " + seed);
    }
  }

  @Test
  void aSocketBehindTheHistoryIsReadForFromKafkaThenJoinsTheTail() {
    PartitionFeed feed = feed(5);
    for (long o = 0; o < 20; o++) {
      append(feed, o, "p");
    }
    assertEquals(15, feed.floor());
    Outbox resumed = outbox(100);
    subscribe(resumed, null);
    feed.install(resumed, 3);
    assertEquals(PartitionFeed.Step.KAFKA, feed.advance(resumed));
    assertEquals(PartitionFeed.Step.READING, feed.advance(resumed), "one read at a time");
    List<Frame> fromKafka = new ArrayList<>();
    for (long o = 3; o < 15; o++) {
      fromKafka.add(HistoryTest.frame(o, "p", 0));
    }
    feed.readFromKafka(fromKafka, new ArrayList<>(List.of(resumed)), 15);
    feed.readEnded(List.of(resumed));
    assertEquals(PartitionFeed.Step.LIVE, feed.advance(resumed));
    append(feed, 20, "p");
    assertEquals(LongStream.rangeClosed(3, 20).boxed().toList(), drain(resumed));
  }
}
