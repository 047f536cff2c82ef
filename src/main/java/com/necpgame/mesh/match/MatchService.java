package com.necpgame.mesh.match;

import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.OwnedPartitions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The match service of one process: the matches it owns (those keyed to the partitions of the match inputs its group
 * member is assigned), fed by robot assignments, robot and player inputs from Kafka and by the player's requests to
 * this process; their events out to {@code match-events} (keyed by match id) and every change of a match to the
 * compacted {@code match-state}, from which the next owner of a partition reads its matches back. Runs on one thread
 * ({@link com.necpgame.mesh.kafka.GroupLoop}); {@code onChange} is told a copy of each match after a change.
 */
public final class MatchService {

  public static final String SOURCE = "event-mesh.matches";
  private static final Set<String> INPUTS = Set.of("round.robots_assigned", "response.submitted", "vote.submitted");

  private final MatchConfig.Match config;
  private final LongSupplier clock;
  private final OwnedPartitions owned;
  private final Consumer<Match> onChange;
  private final Map<String, Match> matches = new HashMap<>();
  /** No match has a deadline before this. */
  private long nextDeadline = Long.MIN_VALUE;

  public MatchService(MatchConfig.Match config, LongSupplier clock, OwnedPartitions owned, Consumer<Match> onChange) {
    this.config = config;
    this.clock = clock;
    this.owned = owned;
    this.onChange = onChange;
  }

  /** Partitions now this process's, with their matches read back from {@code match-state}: the unfinished continue. */
  public void assigned(Collection<Integer> partitions, Map<String, byte[]> saved) {
    owned.assigned(partitions);
    saved.forEach((id, bytes) -> {
      JsonObject state = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
      onChange.accept(Match.fromJson(state));
      Match m = Match.fromJson(state);
      if (m.phase() != Match.Phase.COMPLETED) {
        matches.put(id, m);
        nextDeadline = Math.min(nextDeadline, m.deadline());
      }
    });
  }

  /** Partitions handed over (their matches saved already): their matches are another process's now. */
  public void revoked(Collection<Integer> partitions) {
    owned.revoked(partitions);
    matches.keySet().removeIf(id -> partitions.contains(owned.partitionOf(id)));
  }

  public int active() {
    return matches.size();
  }

  public Match.Rules rules() {
    return new Match.Rules(config.rounds(), config.robotsPerRound(), config.roundMs(), config.votingMs(),
        config.assignTimeoutMs(), config.excludePreviousRobots());
  }

  /** A new match under the first id of {@code ids} this process owns; empty when it owns no partition. */
  public Optional<Match> create(Supplier<String> ids, String playerId, String tokenHash,
      List<ProducerRecord<String, byte[]>> out) {
    return owned.newKey(ids).map(id -> {
      List<Match.Out> events = new ArrayList<>();
      Match m = Match.create(id, playerId, tokenHash, rules(), config.prompts(), clock.getAsLong(), events);
      matches.put(id, m);
      emit(m, events, false, out);
      return m;
    });
  }

  /** A match this process owns and runs, or null. */
  public Match match(String id) {
    return matches.get(id);
  }

  /**
   * The player's answer ({@code response}) or vote to a match of this process: applied, and published as the
   * {@code response.submitted} or {@code vote.submitted} event, when it counts.
   */
  public boolean human(boolean response, String id, int round, String value, List<ProducerRecord<String, byte[]>> out) {
    Match m = matches.get(id);
    if (m == null) {
      return false;
    }
    List<Match.Out> events = new ArrayList<>();
    long now = clock.getAsLong();
    boolean counted = response ? m.response(round, Match.HUMAN, value, now, events)
        : m.vote(round, Match.HUMAN, value, now, events);
    if (counted) {
      events.add(0, humanInput(response, m, round, value));
      emit(m, events, true, out);
    }
    return counted;
  }

  /**
   * The player's answer or vote sent to a match another process owns: the same event as {@link #human} publishes,
   * for the owner to apply ({@link #input}) if it reaches it while that round's phase is open.
   */
  public ProducerRecord<String, byte[]> forward(boolean response, Match m, int round, String value) {
    return record(m, humanInput(response, m, round, value), Instant.ofEpochMilli(clock.getAsLong()));
  }

  private static Match.Out humanInput(boolean response, Match m, int round, String value) {
    return new Match.Out(response ? "response.submitted" : "vote.submitted", new JsonObject().put("match_id", m.id())
        .put("round", round).put("participant", m.playerId()).put("kind", "human")
        .put(response ? "text" : "voted", value));
  }

  /**
   * An input from Kafka: robots assigned, a robot's or the player's answer or vote (the player's came through
   * another process, or through this one and is seen again: it counts once, and is not published again).
   */
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
    int round = d.getInteger("round", -1);
    boolean counted = switch (type) {
      case "round.robots_assigned" -> {
        m.robotsAssigned(round, d.getString("correlation_id"), d.getJsonArray("robots"), now, events);
        yield false;
      }
      case "response.submitted" -> m.response(round, who(d, m), d.getString("text"), now, events);
      case "vote.submitted" -> m.vote(round, who(d, m), d.getString("voted"), now, events);
      default -> false;
    };
    emit(m, events, counted, out);
  }

  /** Who an input is from: a robot by its id, the match's player as {@link Match#HUMAN}; null for anyone else. */
  private static String who(JsonObject d, Match m) {
    String participant = d.getString("participant");
    return switch (d.getString("kind", "")) {
      case "robot" -> Match.HUMAN.equals(participant) ? null : participant;
      case "human" -> m.playerId().equals(participant) ? Match.HUMAN : null;
      default -> null;
    };
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
      emit(m, events, false, out);
    }
  }

  /** A match's events and, when it changed (an input counted or events followed), its state to save. */
  private void emit(Match m, List<Match.Out> events, boolean changed, List<ProducerRecord<String, byte[]>> out) {
    nextDeadline = Math.min(nextDeadline, m.deadline());
    if (events.isEmpty() && !changed) {
      return;
    }
    Instant at = Instant.ofEpochMilli(clock.getAsLong());
    for (Match.Out e : events) {
      out.add(record(m, e, at));
    }
    m.saving();
    JsonObject state = m.toJson();
    out.add(new ProducerRecord<>(config.stateTopic(), m.id(), EnvelopeRecords.utf8(state)));
    if (m.phase() == Match.Phase.COMPLETED) {
      matches.remove(m.id());
    }
    onChange.accept(Match.fromJson(state));
  }

  private ProducerRecord<String, byte[]> record(Match m, Match.Out e, Instant at) {
    String topic = e.type().endsWith(".submitted") ? config.responsesTopic() : config.eventsTopic();
    String name = m.id() + ":" + e.data().getValue("round", 0);
    JsonObject envelope = new Envelope(EventIds.of(e.type() + ":" + name), e.type(), at,
        Envelope.CURRENT_VERSION, SOURCE, m.id(), null, m.playerId(), e.data(), null).toJson();
    return EnvelopeRecords.record(topic, "data.match_id", envelope);
  }
}
