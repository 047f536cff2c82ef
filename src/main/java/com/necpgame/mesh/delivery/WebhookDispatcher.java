package com.necpgame.mesh.delivery;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.delivery.WebhookQueue.Attempt;
import com.necpgame.mesh.delivery.WebhookQueue.Item;
import com.necpgame.mesh.kafka.DeadLetters;
import com.necpgame.mesh.security.AddressPolicy;
import com.necpgame.mesh.security.AddressPolicy.Target;
import com.necpgame.mesh.store.EventStatus;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.micrometer.core.instrument.Gauge;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the webhook deliveries {@link WebhookQueue} holds, on one Vert.x context: claims due rows (leased, so each is
 * attempted by one process at a time), and per subscription honours its status, its endpoint's circuit breaker and
 * its rate limit, then POSTs the envelope (or, with {@code enable_batching}, an array of them) signed as Standard
 * Webhooks are. A 2xx within {@code delivery.webhook_timeout_ms} is success; anything else is retried on the {@link
 * WebhookRetry} schedule until {@code max_retries} retries were made, then the event goes to {@code
 * delivery.dead_letter_topic} with the reason. Every attempt is a row of {@code event_deliveries}, and the state it
 * leaves each event in a row of {@code event_subscription_state} (written in the same round). For a {@code
 * requires_ack} subscription a delivered message stays queued, due again after {@code retry_delay}: unless an
 * acknowledgement removed it by then it is sent again (an attempt), up to {@code max_retries} times, and dead-lettered
 * when the last one is not acknowledged either. Deliveries that wait (paused subscription, open breaker, rate limit)
 * are not attempts and are never lost.
 *
 * <p>Before each subscription's requests of a round its endpoint's host is resolved again and judged by {@code
 * delivery.webhook}'s {@link AddressPolicy}; the requests then connect to that very address (the client resolves
 * nothing, so a name that resolves elsewhere meanwhile, DNS rebinding, cannot slip between check and connect), with
 * the endpoint's host kept as the Host header and as TLS server name and certificate check. A refused address is a
 * failed attempt whose reason names the address class, and nothing is sent. Redirects are never followed.
 */
public final class WebhookDispatcher {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);
  private static final int MAX_RESPONSE_CHARS = 1000;
  /** The worker pool that resolves endpoint hosts (a slow DNS server holds these threads, not the event loop). */
  private static final String LOOKUPS = "mesh-webhook-lookups";
  private static final int LOOKUP_THREADS = 4;

  private final Vertx vertx;
  private final WebhookQueue queue;
  private final SubscriptionRegistry registry;
  private final OwnerRights rights;
  private final Producer<String, byte[]> producer;
  private final MeshConfig.Delivery config;
  private final MeshMetrics metrics;
  private final HttpClientAgent http;
  private final AddressPolicy addresses;
  private final WorkerExecutor lookups;
  private final WebhookRetry backoff = new WebhookRetry(() -> ThreadLocalRandom.current().nextDouble());
  private final Map<String, CircuitBreaker> breakers = new HashMap<>();
  private final Map<String, RateLimiter> limits = new HashMap<>();
  private Map<String, JsonObject> subscriptions = Map.of();
  private long refreshedAt;
  private long timer = -1;
  private boolean stopped;

  WebhookDispatcher(Vertx vertx, WebhookQueue queue, SubscriptionRegistry registry, OwnerRights rights,
      Producer<String, byte[]> producer, MeshConfig.Delivery config, MeshMetrics metrics) {
    this.rights = rights;
    this.vertx = vertx;
    this.addresses = config.webhookAddresses();
    this.lookups = vertx.createSharedWorkerExecutor(LOOKUPS, LOOKUP_THREADS);
    this.queue = queue;
    this.registry = registry;
    this.producer = producer;
    this.config = config;
    this.metrics = metrics;
    this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) config.webhookTimeoutMs())
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(config.webhookConnections()));
  }

  public void start() {
    schedule(0);
  }

  public Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    return Future.join(http.close(), lookups.close()).mapEmpty();
  }

  private void schedule(long delayMs) {
    if (!stopped) {
      timer = vertx.setTimer(Math.max(1, delayMs), id -> round());
    }
  }

  /** One round: claim what is due, deliver it, and come back at once if there was work, else after a poll. */
  private void round() {
    refresh().compose(v -> queue.claim(config.webhookClaim(), leaseMs()))
        .compose(items -> {
          if (items.isEmpty()) {
            return Future.succeededFuture(0);
          }
          Outcomes outcomes = new Outcomes();
          // a subscription newer than the cached list is looked up before its deliveries are taken for deleted ones
          boolean unknown = items.stream().anyMatch(i -> !subscriptions.containsKey(i.subscriptionId()));
          return (unknown ? load() : Future.<Void>succeededFuture()).compose(loaded -> Future.join(
              bySubscription(items).entrySet().stream()
                  .map(e -> deliver(e.getKey(), e.getValue(), outcomes)).toList()))
              .transform(done -> queue.settle(outcomes.attempts, outcomes.done, outcomes.retries, outcomes.states))
              .map(done -> items.size());
        })
        .onComplete(ar -> {
          if (ar.failed() && !stopped) { // a round cut short by stopping is taken up again by the next start
            LOG.warn("webhook delivery round failed: {}", ar.cause().toString());
          }
          schedule(ar.succeeded() && ar.result() > 0 ? 0 : config.webhookPollMs());
        });
  }

  /**
   * How long claimed deliveries stay this process's: long enough for the whole round even if every request takes the
   * full timeout on every connection, so no other process can take them while they are still being attempted.
   */
  private long leaseMs() {
    long rounds = (config.webhookClaim() + config.webhookConnections() - 1) / config.webhookConnections();
    return config.webhookTimeoutMs() * (rounds + 1) + 10_000;
  }

  private Future<Void> refresh() {
    return System.currentTimeMillis() - refreshedAt < config.refreshMs() ? Future.succeededFuture() : load();
  }

  private Future<Void> load() {
    return rights.all().map(all -> {
      subscriptions = all.stream().collect(Collectors.toMap(s -> s.getString("subscription_id"), s -> s));
      refreshedAt = System.currentTimeMillis();
      return null;
    });
  }

  private static Map<String, List<Item>> bySubscription(List<Item> items) {
    return items.stream().collect(Collectors.groupingBy(Item::subscriptionId, LinkedHashMap::new, Collectors.toList()));
  }

  /** What a round came to, written at once when every request of the round was answered. */
  private static final class Outcomes {
    final List<Attempt> attempts = new ArrayList<>();
    final List<Long> done = new ArrayList<>();
    final List<WebhookQueue.Retry> retries = new ArrayList<>();
    final List<EventStatus.Change> states = new ArrayList<>();

    void wait(List<Item> items, Instant until) {
      items.forEach(i -> retries.add(new WebhookQueue.Retry(i.id(), until, false, i.awaitingAck())));
    }

    /** The state each event of {@code item} is in for its subscription now. */
    void state(Item item, String state, int attempts, String error, boolean requiresAck) {
      item.events().forEach(e -> states.add(new EventStatus.Change(e, item.subscriptionId(), "webhook", state,
          attempts, error, requiresAck)));
    }
  }

  private Future<Void> deliver(String id, List<Item> items, Outcomes outcomes) {
    JsonObject s = subscriptions.get(id);
    Instant now = Instant.now();
    if (s == null || !"webhook".equals(s.getString("method"))) {
      items.forEach(i -> outcomes.done.add(i.id())); // deleted (or no longer a webhook): nobody to deliver to
      return Future.succeededFuture();
    }
    if (!"active".equals(s.getString("status"))) {
      outcomes.wait(items, now.plusMillis(config.refreshMs()));
      return Future.succeededFuture();
    }
    CircuitBreaker breaker = breaker(s.getString("endpoint"));
    if (breaker.state() == CircuitBreakerState.OPEN) {
      outcomes.wait(items, now.plusMillis(config.breakerResetMs()));
      return Future.succeededFuture();
    }
    List<Item> unacknowledged = unacknowledged(s, items, outcomes);
    if (!unacknowledged.isEmpty()) {
      items = items.stream().filter(i -> !unacknowledged.contains(i)).toList();
    }
    List<List<Item>> requests = requests(items, s.getBoolean("enable_batching") ? config.webhookBatch() : 1);
    RateLimiter limit = limits.computeIfAbsent(id, k -> new RateLimiter(s.getInteger("rate_limit_per_min"),
        System.currentTimeMillis()));
    int allowed = limit.take(requests.size(), System.currentTimeMillis());
    requests.subList(allowed, requests.size())
        .forEach(r -> outcomes.wait(r, now.plusMillis(Math.max(1, limit.waitMs()))));
    List<List<Item>> sending = requests.subList(0, allowed);
    if (sending.isEmpty()) {
      return Future.succeededFuture();
    }
    return target(s).compose(target -> Future.join(sending.stream()
        .map(r -> post(s, breaker, target, r, outcomes)).toList())).mapEmpty();
  }

  /**
   * The delivered messages still not acknowledged after {@code retry_delay} that were delivered {@code max_retries + 1}
   * times already: dead-lettered (the rest of the messages waiting for an acknowledgement are delivered again).
   */
  private List<Item> unacknowledged(JsonObject s, List<Item> items, Outcomes outcomes) {
    int maxRetries = s.getInteger("max_retries");
    List<Item> out = items.stream().filter(i -> i.awaitingAck() && i.attempts() > maxRetries).toList();
    for (Item item : out) {
      String reason = "not acknowledged within retry_delay (" + s.getInteger("retry_delay") + " s) after "
          + item.attempts() + " deliveries";
      deadLetter(s, item, new Outcome(null, null, reason, null), item.attempts());
      outcomes.done.add(item.id());
      outcomes.state(item, "failed", item.attempts(), reason, true);
    }
    return out;
  }

  /** Where this round's requests to the subscription's endpoint go, resolved off the event loop (see the class). */
  private Future<Target> target(JsonObject s) {
    String host = URI.create(s.getString("endpoint")).getHost();
    return lookups.executeBlocking(() -> addresses.target(host, AddressPolicy.Resolver.SYSTEM), false)
        .otherwise(e -> new Target(Target.Status.UNRESOLVED, null, "host " + host + " could not be resolved"))
        .onSuccess(t -> {
          if (t.status() == Target.Status.REFUSED) {
            LOG.warn("subscription {}: webhook {} not sent, {} is refused: {}", s.getString("subscription_id"),
                host(s.getString("endpoint")), t.address().getHostAddress(), t.reason());
          }
        });
  }

  /**
   * The request to {@code endpoint} sent to {@code address}, as the class says; the address is taken without its host
   * name so that pooled connections are per address.
   */
  static RequestOptions request(String endpoint, InetAddress address) {
    URI uri = URI.create(endpoint);
    boolean ssl = "https".equals(uri.getScheme());
    int port = uri.getPort() >= 0 ? uri.getPort() : ssl ? 443 : 80;
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    InetAddress bare;
    try {
      bare = InetAddress.getByAddress(address.getAddress());
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // 4 or 16 bytes: cannot happen
    }
    return new RequestOptions().setServer(SocketAddress.inetSocketAddress(new InetSocketAddress(bare, port)))
        .setHost(uri.getHost()).setPort(port).setSsl(ssl)
        .setURI(path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())).setFollowRedirects(false);
  }

  /**
   * The requests that deliver these messages: one each, or, for a batching subscription ({@code batch} > 1), as many
   * together as make at most {@code batch} events.
   */
  static List<List<Item>> requests(List<Item> items, int batch) {
    List<List<Item>> out = new ArrayList<>();
    List<Item> request = new ArrayList<>();
    int events = 0;
    for (Item item : items) {
      int n = item.events().size();
      if (!request.isEmpty() && events + n > batch) {
        out.add(request);
        request = new ArrayList<>();
        events = 0;
      }
      request.add(item);
      events += n;
    }
    if (!request.isEmpty()) {
      out.add(request);
    }
    return out;
  }

  /**
   * One request for these messages and what comes of it: a single event's envelope, or a JSON array of every event
   * they carry (a batching subscription's, or a message queued as a batch).
   */
  private Future<Void> post(JsonObject s, CircuitBreaker breaker, Target target, List<Item> items,
      Outcomes outcomes) {
    Item first = items.get(0);
    boolean array = s.getBoolean("enable_batching") || items.size() > 1 || first.eventIds() != null;
    byte[] body = (array ? "[" + String.join(",", items.stream().map(i -> i.eventIds() == null ? i.payload()
        : i.payload().substring(1, i.payload().length() - 1)).toList()) + "]" : first.payload())
        .getBytes(StandardCharsets.UTF_8);
    String messageId = items.size() == 1 ? first.eventId()
        : "batch_" + first.events().get(0) + "_" + items.stream().mapToInt(i -> i.events().size()).sum();
    long timestamp = Instant.now().getEpochSecond();
    String previous = s.getString("previous_secret_expires_at") != null
        && Instant.parse(s.getString("previous_secret_expires_at")).isAfter(Instant.now())
        ? s.getString("previous_signing_secret") : null;
    // a refused address is a failed attempt of the endpoint, with the reason, and nothing is sent
    RequestOptions request = !target.allowed() ? null : request(s.getString("endpoint"), target.address())
        .setMethod(HttpMethod.POST).setIdleTimeout(config.webhookTimeoutMs())
        .putHeader("content-type", "application/json").putHeader("user-agent", "necp-event-mesh")
        .putHeader("webhook-id", messageId).putHeader("webhook-timestamp", String.valueOf(timestamp))
        .putHeader("webhook-signature", WebhookSignature.header(Arrays.asList(s.getString("signing_secret"), previous),
            messageId, timestamp, body));
    long started = System.nanoTime();
    Future<Outcome> sent = breaker.<Outcome>execute(promise -> (request == null
        ? Future.<Outcome>failedFuture(target.reason())
        : http.request(request)
            .compose(req -> req.send(Buffer.buffer(body)))
            .compose(resp -> resp.body().map(b -> new Outcome(resp.statusCode(), truncate(b.toString()), null,
                resp.getHeader("retry-after"))))
            .timeout(config.webhookTimeoutMs(), TimeUnit.MILLISECONDS))
        .onComplete(ar -> {
          if (ar.failed()) {
            promise.fail(new Failed(new Outcome(null, null, reason(ar.cause()), null)));
          } else if (ar.result().statusCode() / 100 == 2) {
            promise.complete(ar.result());
          } else {
            promise.fail(new Failed(ar.result()));
          }
        }));
    return sent.transform(ar -> {
      Outcome outcome = ar.succeeded() ? ar.result()
          : ar.cause() instanceof Failed f ? f.outcome : new Outcome(null, null, reason(ar.cause()), null);
      settle(s, items, outcome, ar.succeeded(), (System.nanoTime() - started) / 1e6, outcomes);
      return Future.succeededFuture();
    });
  }

  private void settle(JsonObject s, List<Item> items, Outcome outcome, boolean delivered, double durationMs,
      Outcomes outcomes) {
    metrics.webhookAttempt(delivered, items.stream().mapToInt(i -> i.events().size()).sum());
    Instant now = Instant.now();
    int maxRetries = s.getInteger("max_retries");
    boolean requiresAck = Boolean.TRUE.equals(s.getBoolean("requires_ack"));
    for (Item item : items) {
      int number = item.attempts() + 1;
      boolean last = delivered || number > maxRetries;
      Instant next = null;
      if (delivered && requiresAck) { // delivered again after retry_delay unless acknowledged by then
        outcomes.retries.add(new WebhookQueue.Retry(item.id(), now.plusSeconds(s.getInteger("retry_delay")), true,
            true));
        outcomes.state(item, "delivered", number, null, true);
      } else if (delivered) {
        outcomes.done.add(item.id());
        outcomes.state(item, "delivered", number, null, false);
      } else if (last) {
        deadLetter(s, item, outcome, number);
        outcomes.done.add(item.id());
        outcomes.state(item, "failed", number, outcome.describe(), requiresAck);
      } else {
        next = now.plus(backoff.after(number, s.getInteger("retry_delay"), outcome.retryAfter(), now));
        outcomes.retries.add(new WebhookQueue.Retry(item.id(), next, true));
        outcomes.state(item, "retrying", number, outcome.describe(), requiresAck);
      }
      outcomes.attempts.add(new Attempt(item.eventId(), item.eventIds(), item.subscriptionId(), number,
          delivered ? "delivered" : "failed", outcome.statusCode(), durationMs, outcome.body(),
          delivered ? null : outcome.describe(), next, last));
    }
  }

  /** Each event of a message, with the reason, to the dead-letter topic. */
  private void deadLetter(JsonObject s, Item item, Outcome outcome, int attempts) {
    String reason = "webhook " + host(s.getString("endpoint")) + " failed " + attempts + " attempt(s); last: "
        + outcome.describe();
    LOG.warn("subscription {}: {} dead-lettered ({})", s.getString("subscription_id"),
        item.eventIds() == null ? "event " + item.eventId() : item.eventIds().size() + " events", reason);
    List<String> envelopes = item.eventIds() == null ? List.of(item.payload()) : WebhookQueue.elements(item.payload());
    for (int i = 0; i < envelopes.size(); i++) {
      producer.send(DeadLetters.undelivered(config.deadLetterTopic(), item.topic(), item.events().get(i),
          envelopes.get(i).getBytes(StandardCharsets.UTF_8), "subscription:" + s.getString("subscription_id"),
          reason, attempts));
    }
  }

  /** The breaker of an endpoint's origin (scheme, host, port): a failing receiver is one breaker, whatever its paths. */
  private CircuitBreaker breaker(String endpoint) {
    String origin = host(endpoint);
    return breakers.computeIfAbsent(origin, o -> {
      CircuitBreaker b = CircuitBreaker.create("webhook " + o, vertx, new CircuitBreakerOptions()
          .setMaxFailures(config.breakerMaxFailures()).setResetTimeout(config.breakerResetMs()).setTimeout(-1));
      b.openHandler(v -> LOG.warn("webhook breaker for {} opened: deliveries wait {} ms", o, config.breakerResetMs()))
          .halfOpenHandler(v -> LOG.info("webhook breaker for {} half-open: probing", o))
          .closeHandler(v -> LOG.info("webhook breaker for {} closed: delivering again", o));
      Gauge.builder("event_bus_webhook_breaker_state", b, br -> switch (br.state()) {
        case CLOSED -> 0;
        case HALF_OPEN -> 1;
        case OPEN -> 2;
      }).tag("endpoint", o).description("Webhook circuit breaker per endpoint: 0 closed, 1 half-open, 2 open")
          .register(metrics.registry());
      return b;
    });
  }

  /** scheme://host:port of a URL: what logs and meters show of an endpoint (its path and query may hold secrets). */
  static String host(String endpoint) {
    URI uri = URI.create(endpoint);
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
  }

  private static String truncate(String text) {
    return text.length() <= MAX_RESPONSE_CHARS ? text : text.substring(0, MAX_RESPONSE_CHARS);
  }

  /** What one request came to: a status and body, or the error that prevented one. */
  record Outcome(Integer statusCode, String body, String error, String retryAfter) {
    String describe() {
      return error != null ? error : "HTTP " + statusCode;
    }
  }

  private static final class Failed extends RuntimeException {
    final Outcome outcome;

    Failed(Outcome outcome) {
      super(outcome.describe(), null, false, false);
      this.outcome = outcome;
    }
  }

  /**
   * Why a request failed, as a delivery row and {@code GET /deliveries} show it: the message ({@code Connection
   * refused: /127.0.0.1:1}), not the exception's class name (the fuzz found {@code io.netty...ConnectException} there).
   */
  static String reason(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }
}
