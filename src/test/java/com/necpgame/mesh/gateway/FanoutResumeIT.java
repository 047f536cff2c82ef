package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resume on the hub, on two processes: clients away 10 s while events flow come back with their offsets; those still
 * inside the window of mesh A are served from its memory, those who waited until more than the window went by are
 * read from Kafka, and some resume on mesh B. Every client ends with every event exactly once, in order per
 * partition.
 */
class FanoutResumeIT {

  private static final Logger LOG = LoggerFactory.getLogger(FanoutResumeIT.class);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int WINDOW = 200;
  private static Mesh a;
  private static Mesh b;
  private static int portA;
  private static int portB;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    portA = TestMesh.freePort();
    a = Mesh.start(TestMesh.config(dir.resolve("a"), portA, slowMachine().put("websocket", new JsonObject()
        .put("history", new JsonObject().put("max_events", WINDOW)))));
    portB = TestMesh.freePort();
    b = Mesh.start(TestMesh.config(dir.resolve("b"), portB, slowMachine()));
  }

  @AfterAll
  static void stop() {
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  /** A client's view: every event it got, and where to resume. */
  private static final class Client {
    final List<JsonObject> events = new ArrayList<>();
    final Map<String, Long> next = new HashMap<>();
    Map<String, Long> started;

    void positions(JsonObject subscribed, String topic) {
      subscribed.getJsonObject("positions").getJsonObject(topic).forEach(p ->
          next.putIfAbsent(p.getKey(), ((Number) p.getValue()).longValue()));
      if (started == null) {
        started = new HashMap<>(next);
      }
    }

    void take(WsClient ws, int count) throws Exception {
      for (int i = 0; i < count; i++) {
        JsonObject frame = ws.next(60);
        assertEquals("event", frame.getString("type"), frame.encode());
        events.add(frame);
        next.put(String.valueOf(frame.getInteger("partition")), frame.getLong("offset") + 1);
      }
    }

    JsonObject resume(String topic) {
      return new JsonObject().put("offsets", new JsonObject().put(topic, new JsonObject(new HashMap<>(next))));
    }
  }

  private static Set<String> publish(String topic, int from, int count) throws Exception {
    JsonArray events = new JsonArray();
    for (int i = from; i < from + count; i++) {
      events.add(new JsonObject().put("event_type", "game.kill").put("topic", topic).put("source", "resume-it")
          .put("session_id", "s" + i).put("payload", new JsonObject().put("n", i)));
    }
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + portA
        + "/events/publish/batch")).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("events", events).encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    Set<String> ids = new HashSet<>();
    new JsonObject(response.body()).getJsonArray("results")
        .forEach(r -> ids.add(((JsonObject) r).getString("event_id")));
    return ids;
  }

  private static double catchUps(Mesh mesh, String from) {
    Matcher m = Pattern.compile("event_bus_fanout_catchups_total\\{from=\"" + from + "\",?\\} ([0-9.E]+)")
        .matcher(mesh.context().metrics().scrape());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static WsClient subscribe(int port, Client client, String topic, Object start) throws Exception {
    WsClient ws = WsClient.connect(port);
    ws.send(new JsonObject().put("op", "subscribe").put("id", "game").put("topics", new JsonArray().add(topic))
        .put("start", start));
    JsonObject subscribed = ws.next(60);
    assertEquals("subscribed", subscribed.getString("type"), subscribed.encode());
    client.positions(subscribed, topic);
    return ws;
  }

  @Test
  void clientsAwayWhileEventsFlowResumeFromMemoryFromKafkaAndOnTheOtherProcessWithNoLossAndNoDuplicate()
      throws Exception {
    String topic = TestKafka.createTopic(TestKafka.unique("resume"), 3);
    List<Client> memory = new ArrayList<>();
    List<Client> kafka = new ArrayList<>();
    List<Client> elsewhere = new ArrayList<>();
    List<WsClient> sockets = new ArrayList<>();
    List<Client> all = new ArrayList<>();
    for (List<Client> group : List.of(memory, kafka, elsewhere)) {
      for (int i = 0; i < 8; i++) {
        Client c = new Client();
        group.add(c);
        all.add(c);
        sockets.add(subscribe(portA, c, topic, "latest"));
      }
    }
    Set<String> published = new HashSet<>(publish(topic, 0, 30));
    for (int i = 0; i < all.size(); i++) {
      all.get(i).take(sockets.get(i), 30);
      sockets.get(i).close();
    }
    // away for 10 s while events flow: 300 events, 100 a partition, inside mesh A's window of 200
    int n = 30;
    for (long end = System.currentTimeMillis() + 10_000; System.currentTimeMillis() < end; n += 10) {
      published.addAll(publish(topic, n, 10));
      Thread.sleep(300);
    }
    int away = n - 30;
    double fromHistory = catchUps(a, "history");
    long t0 = System.nanoTime();
    List<WsClient> back = new ArrayList<>();
    for (Client c : memory) {
      back.add(subscribe(portA, c, topic, c.resume(topic)));
    }
    for (Client c : elsewhere) {
      back.add(subscribe(portB, c, topic, c.resume(topic)));
    }
    List<Client> resumed = new ArrayList<>(memory);
    resumed.addAll(elsewhere);
    for (int i = 0; i < resumed.size(); i++) {
      resumed.get(i).take(back.get(i), away);
    }
    LOG.info("{} clients resumed {} events each (memory on A, Kafka on B) in {} ms", resumed.size(), away,
        (System.nanoTime() - t0) / 1_000_000);
    assertTrue(catchUps(a, "history") >= fromHistory + memory.size(), "served from memory on A");
    assertTrue(catchUps(b, "kafka") >= 1, "B had no history of those offsets: read from Kafka");

    // the others stay away until mesh A's window moved past their offsets
    published.addAll(publish(topic, n, 3 * WINDOW));
    int more = 3 * WINDOW;
    n += more;
    for (int i = 0; i < resumed.size(); i++) {
      resumed.get(i).take(back.get(i), more);
    }
    double fromKafka = catchUps(a, "kafka");
    List<WsClient> late = new ArrayList<>();
    for (Client c : kafka) {
      late.add(subscribe(portA, c, topic, c.resume(topic)));
    }
    for (int i = 0; i < kafka.size(); i++) {
      kafka.get(i).take(late.get(i), away + more);
    }
    assertTrue(catchUps(a, "kafka") > fromKafka, "read from Kafka past the window");

    for (Client c : all) {
      List<String> ids = c.events.stream().map(f -> f.getJsonObject("event").getString("event_id")).toList();
      assertEquals(ids.size(), new HashSet<>(ids).size(), "no duplicate");
      assertEquals(published, new HashSet<>(ids), "nothing lost");
      Map<String, Long> expect = new HashMap<>(c.started);
      for (JsonObject f : c.events) {
        String p = String.valueOf(f.getInteger("partition"));
        assertEquals(expect.get(p), f.getLong("offset"), "in order on partition " + p);
        expect.put(p, f.getLong("offset") + 1);
      }
    }
    for (WsClient ws : back) {
      assertEquals(null, ws.poll(200), "nothing more");
      ws.close();
    }
    late.forEach(WsClient::close);
  }

  /** Kafka calls may take long on a loaded machine (the mesh creates its topics at start). */
  private static JsonObject slowMachine() {
    return new JsonObject().put("kafka", new JsonObject().put("request_timeout_ms", 60000));
  }
}
