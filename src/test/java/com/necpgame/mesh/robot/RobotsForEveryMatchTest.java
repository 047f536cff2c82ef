package com.necpgame.mesh.robot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.OwnedPartitions;
import com.necpgame.mesh.match.Match;
import com.necpgame.mesh.match.MatchService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 100 matches at once with the default settings, the match service, the robot orchestration and the robot workers
 * (the local provider) wired through in-memory topics: every record keeps its order among the records of its key
 * (as a Kafka partition does), and records of different keys are delivered in a seeded random interleaving, so the
 * matches' rounds overlap in every order. Every round must get its full set of robots, and no robot may serve two
 * matches' rounds at once.
 */
class RobotsForEveryMatchTest {

  private static final Logger LOG = LoggerFactory.getLogger(RobotsForEveryMatchTest.class);
  private static final MatchConfig GAMES = ConfigLoader.load(new JsonObject(), Map.of()).games();
  private static final int MATCHES = 100;

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final Random random = new Random(19);
  /** Per key (topic/key): its records in order; {@link #keys} the keys with records pending. */
  private final Map<String, ArrayDeque<ProducerRecord<String, byte[]>>> queues = new HashMap<>();
  private final List<String> keys = new ArrayList<>();
  private final LocalProvider local = new LocalProvider(GAMES.llm().seed());
  private MatchService service;
  private Orchestration orchestration;

  /** Robot id to the match round it serves now ("match:round"), from its assignment to that round's completion. */
  private final Map<String, String> serving = new HashMap<>();
  private final Map<String, Set<String>> matchesOfRobot = new HashMap<>();
  private final List<String> problems = new ArrayList<>();
  private int roundsStarted;
  private int completed;
  private long mostBusy;

  @Test
  void everyRoundOfAHundredConcurrentMatchesGetsItsFullSetOfRobots() {
    OwnedPartitions owned = new OwnedPartitions(6);
    owned.assigned(List.of(0, 1, 2, 3, 4, 5));
    service = new MatchService(GAMES.match(), clock::get, owned, m -> { });
    orchestration = new Orchestration(GAMES.match(), GAMES.robots(), clock::get);
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    orchestration.step(out);
    route(out);
    List<String> ids = IntStream.range(0, MATCHES).mapToObj(i -> "match-" + EventIds.newId()).toList();
    for (int i = 0; i < MATCHES; i++) {
      String id = ids.get(i);
      List<ProducerRecord<String, byte[]>> created = new ArrayList<>();
      service.create(() -> id, "player-" + i, "hash", created).orElseThrow();
      route(created);
    }
    long started = System.nanoTime();
    int deliveries = 0;
    while (!keys.isEmpty()) {
      deliverOne();
      deliveries++;
      mostBusy = Math.max(mostBusy, orchestration.pool().busy());
    }
    LOG.info("{} matches, {} deliveries in {} ms: {} rounds started, at most {} robots busy at once, pool of {}",
        MATCHES, deliveries, (System.nanoTime() - started) / 1_000_000, roundsStarted, mostBusy,
        orchestration.pool().size());

    assertEquals(List.of(), problems.subList(0, Math.min(5, problems.size())), problems.size() + " problems");
    assertEquals(MATCHES, completed, "every match completed");
    assertEquals(MATCHES * GAMES.match().rounds(), roundsStarted);
    assertEquals(0, service.active());
    assertEquals(0, orchestration.pool().busy(), "every robot back in the pool");
    assertTrue(orchestration.pool().size() <= GAMES.robots().maxTotal());
    assertTrue(mostBusy >= (MATCHES - 10) * GAMES.match().robotsPerRound(),
        "the matches ran at once: " + mostBusy + " robots busy at the peak");
    long reused = matchesOfRobot.values().stream().filter(m -> m.size() > 1).count();
    assertTrue(reused > 0, "robots go from one match to another between rounds");
    assertTrue(serving.isEmpty(), "no robot still serving: " + serving);
  }

  /** Delivers the head of a random key's queue to whoever reads its topic. */
  private void deliverOne() {
    int pick = random.nextInt(keys.size());
    String key = keys.get(pick);
    ArrayDeque<ProducerRecord<String, byte[]>> queue = queues.get(key);
    ProducerRecord<String, byte[]> r = queue.poll();
    if (queue.isEmpty()) {
      queues.remove(key);
      keys.set(pick, keys.get(keys.size() - 1));
      keys.remove(keys.size() - 1);
    }
    clock.addAndGet(1);
    ConsumerRecord<String, byte[]> in = new ConsumerRecord<>(r.topic(), 0, 0, r.key(), r.value());
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    MatchConfig.Match m = GAMES.match();
    if (r.topic().equals(m.eventsTopic())) {
      orchestration.input(in, out);
      orchestration.step(out);
      human(envelope(r), out);
    } else if (r.topic().equals(m.orchestrationTopic())) {
      service.input(in, out);
    } else if (r.topic().equals(m.responsesTopic())) {
      service.input(in, out);
      orchestration.input(in, out);
      orchestration.step(out);
    } else if (r.topic().equals(GAMES.robots().commandsTopic())) {
      JsonObject command = envelope(r);
      Task task = RobotCommands.task(command);
      String text = task.kind() == Task.Kind.VOTE ? local.vote(task) : local.respond(task);
      out.add(RobotCommands.answer(m.responsesTopic(), command, task, text, Instant.ofEpochMilli(clock.get())));
    }
    service.tick(out);
    route(out);
  }

  /** The player answers when a round starts and votes (for the first other letter) when its voting starts. */
  private void human(JsonObject event, List<ProducerRecord<String, byte[]>> out) {
    JsonObject d = event.getJsonObject("data");
    String id = d.getString("match_id");
    Match match = service.match(id);
    if (match == null) {
      return;
    }
    int round = d.getInteger("round", 0);
    switch (event.getString("event_type")) {
      case "round.started" -> service.human(true, id, round, "cereal, standing up", out);
      case "round.voting_started" -> d.getJsonArray("responses").stream().map(o -> ((JsonObject) o)
          .getString("identity")).filter(l -> !l.equals(match.humanIdentity())).findFirst()
          .ifPresent(l -> service.human(false, id, round, l, out));
      default -> { }
    }
  }

  /** Queues each record under its topic and key, and checks the events that matter as they are written. */
  private void route(List<ProducerRecord<String, byte[]>> out) {
    for (ProducerRecord<String, byte[]> r : out) {
      if (r.value() == null || r.topic().equals(GAMES.match().stateTopic())
          || r.topic().equals(GAMES.robots().poolStateTopic())) {
        continue;
      }
      check(envelope(r));
      String key = r.topic() + "/" + r.key();
      queues.computeIfAbsent(key, k -> {
        keys.add(k);
        return new ArrayDeque<>();
      }).add(r);
    }
  }

  private void check(JsonObject event) {
    JsonObject d = event.getJsonObject("data");
    String match = d.getString("match_id");
    String round = match + ":" + d.getInteger("round", 0);
    switch (event.getString("event_type")) {
      case "round.robots_assigned" -> {
        JsonArray robots = d.getJsonArray("robots");
        if (robots.size() != GAMES.match().robotsPerRound()) {
          problems.add(round + " was given " + robots.size() + " robots");
        }
        for (Object o : robots) {
          String robot = ((JsonObject) o).getString("id");
          String before = serving.put(robot, round);
          if (before != null && !before.equals(round)) {
            problems.add(robot + " given to " + round + " while serving " + before);
          }
          matchesOfRobot.computeIfAbsent(robot, k -> new HashSet<>()).add(match);
        }
      }
      case "round.started" -> {
        roundsStarted++;
        if (d.getJsonArray("robots").size() != GAMES.match().robotsPerRound()) {
          problems.add(round + " started with " + d.getJsonArray("robots").size() + " robots");
        }
      }
      case "round.completed" -> serving.values().removeIf(round::equals);
      case "match.completed" -> completed++;
      default -> { }
    }
  }

  private static JsonObject envelope(ProducerRecord<String, byte[]> r) {
    return new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
  }

  @Test
  void aRobotKeepsItsAnswersInAMatchAcrossOtherMatchesUntilThatMatchCompletes() {
    RobotPool pool = new RobotPool(new RobotPool.Rules(List.of("curious-student"), 0, 20, 0.8, 300_000, 30_000));
    RobotPool.Assigned a = pool.assign("m1", 1, List.of("B"), List.of(), 0).get(0);
    pool.answered(a.id(), "m1", 1, "toast, because it was there");
    assertEquals(1, pool.releaseRound("m1", 1, 1).size());
    RobotPool.Assigned again = pool.assign("m2", 1, List.of("C"), List.of(), 2).get(0);
    assertEquals(a.id(), again.id(), "the longest idle robot serves the next round, of another match");
    pool.answered(a.id(), "m2", 1, "rain on the bus");
    pool.releaseRound("m2", 1, 3);
    assertEquals(Map.of(1, "toast, because it was there"), pool.robot(a.id()).answersIn("m1"));
    RobotPool back = RobotPool.restore(pool.rules(), pool.nextId(), new LinkedHashMap<>(pool.drainChanged()).values());
    assertEquals(Map.of(1, "rain on the bus"), back.robot(a.id()).answersIn("m2"), "remembered across a restart");
    pool.release("m1", 4);
    assertTrue(pool.robot(a.id()).answersIn("m1").isEmpty(), "a completed match is forgotten");
    assertEquals(1, pool.robot(a.id()).memory().size());
    assertNull(pool.robot(a.id()).matchId());
  }
}
