package com.necpgame.mesh.match;

import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.tick.TickEvents;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The match service of one process: its matches, fed by robot assignments and answers from Kafka and by the human's
 * requests, their events out to {@code match-events} (keyed by match id) and every change of a match to the compacted
 * {@code match-state}. Runs on one thread ({@link com.necpgame.mesh.kafka.GroupLoop}); {@code onChange} is told each
 * match's new view.
 */
public final class MatchService {

  public static final String SOURCE = "event-mesh.matches";
  private static final java.util.Set<String> INPUTS = java.util.Set.of("round.robots_assigned", "response.submitted",
      "vote.submitted");

  private final MatchConfig.Match config;
  private final LongSupplier clock;
  private final BiConsumer<String, JsonObject> onChange;
  private final Map<String, Match> matches = new HashMap<>();
  /** No match has a deadline before this. */
  private long nextDeadline = Long.MIN_VALUE;

  public MatchService(MatchConfig.Match config, LongSupplier clock, BiConsumer<String, JsonObject> onChange) {
    this.config = config;
    this.clock = clock;
    this.onChange = onChange;
  }

  /** Matches read back from {@code match-state}: the unfinished ones continue. */
  public void restore(Map<String, byte[]> saved) {
    saved.forEach((id, bytes) -> {
      Match m = Match.fromJson(new JsonObject(new String(bytes, StandardCharsets.UTF_8)));
      onChange.accept(id, m.view());
      if (m.phase() != Match.Phase.COMPLETED) {
        matches.put(id, m);
      }
    });
  }

  public int active() {
    return matches.size();
  }

  public Match.Rules rules() {
    return new Match.Rules(config.rounds(), config.robotsPerRound(), config.roundMs(), config.votingMs(),
        config.assignTimeoutMs(), config.excludePreviousRobots());
  }

  public void create(String id, String playerId, String tokenHash, List<ProducerRecord<String, byte[]>> out) {
    List<Match.Out> events = new ArrayList<>();
    Match m = Match.create(id, playerId, tokenHash, rules(), config.prompts(), clock.getAsLong(), events);
    matches.put(id, m);
    emit(m, events, out);
  }

  public Match match(String id) {
    return matches.get(id);
  }

  /** The human's answer: published as {@code response.submitted} when it counts. */
  public boolean humanResponse(String id, int round, String text, List<ProducerRecord<String, byte[]>> out) {
    Match m = matches.get(id);
    List<Match.Out> events = new ArrayList<>();
    if (m == null) {
      return false;
    }
    int current = m.round();
    boolean counted = m.response(round, Match.HUMAN, text, clock.getAsLong(), events);
    if (counted) {
      events.add(0, new Match.Out("response.submitted", new JsonObject().put("match_id", id).put("round", current)
          .put("participant", m.playerId()).put("kind", "human").put("text", text)));
      emit(m, events, out);
    }
    return counted;
  }

  public boolean humanVote(String id, int round, String identity, List<ProducerRecord<String, byte[]>> out) {
    Match m = matches.get(id);
    List<Match.Out> events = new ArrayList<>();
    if (m == null) {
      return false;
    }
    int current = m.round();
    boolean counted = m.vote(round, Match.HUMAN, identity, clock.getAsLong(), events);
    if (counted) {
      events.add(0, new Match.Out("vote.submitted", new JsonObject().put("match_id", id).put("round", current)
          .put("participant", m.playerId()).put("kind", "human").put("voted", identity)));
      emit(m, events, out);
    }
    return counted;
  }

  /** An input from Kafka: robots assigned, a robot's answer or vote. */
  public void input(ConsumerRecord<String, byte[]> record, List<ProducerRecord<String, byte[]>> out) {
    String header = EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_EVENT_TYPE);
    if (header != null && !INPUTS.contains(header)) {
      return; // not read: the robot pool's own events
    }
    JsonObject envelope = new JsonObject(new String(record.value(), StandardCharsets.UTF_8));
    JsonObject d = envelope.getJsonObject("data");
    String type = envelope.getString("event_type");
    if (d == null || type == null) {
      return;
    }
    Match m = matches.get(d.getString("match_id"));
    if (m == null) {
      return;
    }
    List<Match.Out> events = new ArrayList<>();
    long now = clock.getAsLong();
    switch (type) {
      case "round.robots_assigned" -> m.robotsAssigned(d.getInteger("round", -1), d.getString("correlation_id"),
          d.getJsonArray("robots"), now, events);
      case "response.submitted" -> {
        if ("robot".equals(d.getString("kind"))) {
          m.response(d.getInteger("round", -1), d.getString("participant"), d.getString("text"), now, events);
        }
      }
      case "vote.submitted" -> {
        if ("robot".equals(d.getString("kind"))) {
          m.vote(d.getInteger("round", -1), d.getString("participant"), d.getString("voted"), now, events);
        }
      }
      default -> { }
    }
    emit(m, events, out);
  }

  /** Closes the phases whose deadline passed (looks at the matches only once the earliest deadline is due). */
  public void tick(List<ProducerRecord<String, byte[]>> out) {
    long now = clock.getAsLong();
    if (now < nextDeadline) {
      return;
    }
    List<Match> due = new ArrayList<>();
    nextDeadline = Long.MAX_VALUE;
    for (Match m : matches.values()) {
      if (m.deadline() <= now) {
        due.add(m);
      } else {
        nextDeadline = Math.min(nextDeadline, m.deadline());
      }
    }
    for (Match m : due) {
      List<Match.Out> events = new ArrayList<>();
      m.tick(now, events);
      emit(m, events, out);
    }
  }

  private void emit(Match m, List<Match.Out> events, List<ProducerRecord<String, byte[]>> out) {
    nextDeadline = Math.min(nextDeadline, m.deadline());
    if (events.isEmpty()) {
      return;
    }
    Instant at = Instant.ofEpochMilli(clock.getAsLong());
    for (Match.Out e : events) {
      String topic = e.type().endsWith(".submitted") ? config.responsesTopic() : config.eventsTopic();
      String name = m.id() + ":" + e.data().getValue("round", 0);
      JsonObject envelope = new Envelope(TickEvents.idOf(e.type() + ":" + name), e.type(), at,
          Envelope.CURRENT_VERSION, SOURCE, m.id(), null, m.playerId(), e.data(), null).toJson();
      out.add(EnvelopeRecords.record(topic, "data.match_id", envelope));
    }
    out.add(new ProducerRecord<>(config.stateTopic(), m.id(), EnvelopeRecords.utf8(m.toJson())));
    if (m.phase() == Match.Phase.COMPLETED) {
      matches.remove(m.id());
    }
    onChange.accept(m.id(), m.view());
  }
}
