package com.necpgame.mesh.match;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.CompactedView;
import com.necpgame.mesh.kafka.GroupLoop;
import com.necpgame.mesh.kafka.OwnedPartitions;
import com.necpgame.mesh.kafka.StateTopic;
import com.necpgame.mesh.security.Security;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the {@link MatchService} of this process. A match is run by the process whose {@link GroupLoop} is assigned the
 * partition of its id in the match inputs (robot assignments and answers, co-partitioned with {@code match-state} by a
 * range assignor; {@link MatchService} reads them back and lets them go). Every process follows {@code match-state}
 * into {@link MatchViews}, so any of them answers the human's requests over the event bus ({@link #CREATE}, {@link
 * #GET}, {@link #RESPOND}, {@link #VOTE}): an answer or vote for a match another process runs is published for it to
 * apply. Every newer view of a match is published to {@code mesh.match.changed.<id>}.
 */
public final class MatchVerticle extends VerticleBase {

  public static final String CREATE = "mesh.match.create";
  public static final String GET = "mesh.match.get";
  /** Request {@code {state: active | completed | all, limit, players}}; reply {@link MatchViews#list}. */
  public static final String LIST = "mesh.match.list";
  public static final String RESPOND = "mesh.match.respond";
  public static final String VOTE = "mesh.match.vote";
  public static final String CHANGED = "mesh.match.changed.";

  private static final Logger LOG = LoggerFactory.getLogger(MatchVerticle.class);
  private static final long READY_WAIT_MS = 30_000;

  private final MeshContext mesh;
  private final MatchConfig.Match config;
  private final MatchViews views = new MatchViews();
  /** Completed at the loop's first assignment (an empty one too): until then this process creates no match. */
  private final Promise<Void> joined = Promise.promise();
  private MatchService service;
  private GroupLoop loop;
  private CompactedView tail;

  public MatchVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.config = mesh.config().games().match();
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(this::partitions).compose(count -> {
      service = new MatchService(config, System::currentTimeMillis, new OwnedPartitions(count), this::changed);
      loop = new GroupLoop(mesh.kafka(), mesh.producer(), List.of(config.orchestrationTopic(), config.responsesTopic()),
          config.group(), config.checkMs(), mesh.metrics(), new Owner(),
          Map.of(
              ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic",
              ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName())).start();
      tail = new CompactedView(mesh.kafka(), config.stateTopic(), r -> {
        if (r.value() != null) {
          changed(Match.fromJson(new JsonObject(new String(r.value(), StandardCharsets.UTF_8))));
        }
      }, mesh.metrics()).start();
      vertx.eventBus().<JsonObject>consumer(CREATE, this::create);
      vertx.eventBus().<String>consumer(GET, m -> {
        JsonObject view = views.view(m.body());
        if (view == null) {
          m.fail(404, "no match " + m.body());
        } else {
          m.reply(view);
        }
      });
      vertx.eventBus().<JsonObject>consumer(LIST, m -> m.reply(views.list(MatchViews.Listing.valueOf(
          m.body().getString("state").toUpperCase(Locale.ROOT)), m.body().getInteger("limit"),
          m.body().getBoolean("players"))));
      vertx.eventBus().<JsonObject>consumer(RESPOND, m -> act(m, true));
      vertx.eventBus().<JsonObject>consumer(VOTE, m -> act(m, false));
      LOG.info("matches: {} partitions, run by the members of group {}", count, config.group());
      return Future.all(Future.fromCompletionStage(loop.ready(), context), joined.future(),
              Future.fromCompletionStage(tail.caughtUp(), context))
          .timeout(READY_WAIT_MS, TimeUnit.MILLISECONDS).<Void>mapEmpty().recover(e -> {
            LOG.warn("matches: not assigned partitions or not caught up with {} after {} ms; POST /matches answers "
                + "503 and reads may answer 404 until then", config.stateTopic(), READY_WAIT_MS);
            return Future.succeededFuture();
          });
    });
  }

  /** The partition count the match inputs and state share; start-up stops when they differ or one is missing. */
  private int partitions() throws Exception {
    List<String> topics = List.of(config.orchestrationTopic(), config.responsesTopic(), config.stateTopic());
    Map<String, Integer> counts = new LinkedHashMap<>();
    try {
      mesh.admin().describeTopics(topics).allTopicNames()
          .get(mesh.kafka().config().requestTimeoutMs() * 3L, TimeUnit.MILLISECONDS)
          .forEach((topic, d) -> counts.put(topic, d.partitions().size()));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw new IllegalStateException("verticles.matches needs the topics " + topics + " (" + e.getCause()
            .getMessage() + "): create them (topics.create_on_start) or turn verticles.matches off", e);
      }
      throw e;
    }
    return OwnedPartitions.coPartitioned(counts);
  }

  /** A newer copy of a match (this process's change, or read from match-state): its view goes to the followers. */
  private void changed(Match copy) {
    if (views.offer(copy)) {
      JsonObject view = copy.view();
      context.runOnContext(v -> vertx.eventBus().publish(CHANGED + copy.id(), view));
    }
  }

  /** The loop's handler: inputs and deadlines to the service, and the matches of the partitions that come and go. */
  private final class Owner implements GroupLoop.Handler {
    private final StateTopic state = new StateTopic(mesh.kafka(), config.stateTopic());

    @Override
    public CompletionStage<List<ProducerRecord<String, byte[]>>> outputs(ConsumerRecord<String, byte[]> record) {
      return GroupLoop.Handler.now(out -> service.input(record, out));
    }

    @Override
    public void step(List<ProducerRecord<String, byte[]>> out) {
      service.tick(out);
    }

    @Override
    public void assigned(Collection<TopicPartition> partitions) {
      Set<Integer> numbers = numbers(partitions);
      service.assigned(numbers, state.loadPartitions(numbers));
      LOG.info("matches: partitions {} now run here ({} matches under way)", numbers, service.active());
      context.runOnContext(v -> joined.tryComplete());
    }

    @Override
    public void revoked(Collection<TopicPartition> partitions) {
      service.revoked(numbers(partitions));
    }

    private static Set<Integer> numbers(Collection<TopicPartition> partitions) {
      return partitions.stream().map(TopicPartition::partition).collect(Collectors.toSet());
    }
  }

  /**
   * {@code {player_id}}: a new match run here; reply {@code {match_id, token, match}} once its first events are
   * written, or fail 503 when this process runs no partition.
   */
  private void create(Message<JsonObject> m) {
    String token = UUID.randomUUID().toString() + UUID.randomUUID();
    String tokenHash = Security.sha256(token);
    String player = m.body().getString("player_id");
    loop.submit(out -> {
      Optional<JsonObject> created = service.create(() -> "match-" + EventIds.newId(), player, tokenHash, out)
          .map(match -> new JsonObject().put("match_id", match.id()).put("token", token).put("match", match.view()));
      context.runOnContext(v -> created.ifPresentOrElse(m::reply, () -> m.fail(503, "this process runs no match "
          + "partition now (a rebalance under way, or more processes than partitions): retry, the next request may "
          + "reach another process")));
    });
  }

  /**
   * {@code {match_id, token, round, text | identity}}: applied here when this process runs the match (reply the
   * view), else checked against the match's latest state and published for the process that does (reply
   * {@code {accepted: true, match}}); fails 404, 403, 409 (not now) or 503 (not written).
   */
  private void act(Message<JsonObject> m, boolean response) {
    JsonObject b = m.body();
    String id = b.getString("match_id");
    String tokenHash = Security.sha256(b.getString("token", ""));
    int round = b.getInteger("round");
    String value = b.getString(response ? "text" : "identity");
    loop.submit(out -> {
      Match match = service.match(id);
      if (match == null) {
        context.runOnContext(v -> forward(m, id, tokenHash, response, round, value));
        return;
      }
      MatchViews.Refusal no = MatchViews.refusal(id, match, tokenHash, response, round, value);
      if (no == null) {
        service.human(response, id, round, value, out);
      }
      JsonObject view = match.view();
      context.runOnContext(v -> reply(m, no, view));
    });
  }

  /** The player's answer or vote for a match another process runs (or none does now): to Kafka, for its owner. */
  private void forward(Message<JsonObject> m, String id, String tokenHash, boolean response, int round, String value) {
    Match known = views.get(id);
    MatchViews.Refusal no = MatchViews.refusal(id, known, tokenHash, response, round, value);
    if (no != null) {
      reply(m, no, null);
      return;
    }
    mesh.producer().send(service.forward(response, known, round, value), (meta, e) -> context.runOnContext(v -> {
      if (e != null) {
        LOG.warn("match {}: the player's {} was not written: {}", id, response ? "answer" : "vote", e.toString());
        m.fail(503, "not written to Kafka (the cause is in the mesh's log): retry"); // logged above, not answered
      } else {
        m.reply(new JsonObject().put("accepted", true).put("match", known.view()));
      }
    }));
  }

  private static void reply(Message<JsonObject> m, MatchViews.Refusal no, JsonObject view) {
    if (no == null) {
      m.reply(view);
    } else {
      m.fail(no.code(), no.message());
    }
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      if (loop != null) {
        loop.close();
      }
      if (tail != null) {
        tail.close();
      }
      return null;
    });
  }
}
