package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.necpgame.mesh.delivery.WebhookQueue.Item;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How queued messages become requests, and a batch message's events are taken back out of its payload. */
class WebhookMessagesTest {

  private static Item single(long id) {
    return new Item(id, "sub", "e" + id, null, "game.t", "{\"event_id\":\"e" + id + "\"}", 0);
  }

  private static Item batch(long id, int events) {
    List<String> ids = java.util.stream.IntStream.range(0, events).mapToObj(i -> "b" + id + "-" + i).toList();
    return new Item(id, "sub", "batch_" + ids.get(0) + "_" + events, ids, "game.t", "[]", 0);
  }

  @Test
  void unbatchedMessagesAreOneRequestEach() {
    List<Item> items = List.of(single(1), single(2), batch(3, 4));
    assertEquals(List.of(List.of(items.get(0)), List.of(items.get(1)), List.of(items.get(2))),
        WebhookDispatcher.requests(items, 1), "a message queued as a batch stays one request");
  }

  @Test
  void batchedMessagesAreJoinedUpToTheBatchSizeInOrder() {
    Item a = batch(1, 60);
    Item b = single(2);
    Item c = batch(3, 40);
    Item d = batch(4, 100);
    Item e = single(5);
    assertEquals(List.of(List.of(a, b), List.of(c), List.of(d), List.of(e)),
        WebhookDispatcher.requests(List.of(a, b, c, d, e), 100));
    assertEquals(List.of(), WebhookDispatcher.requests(List.of(), 100));
  }

  @Test
  void aBatchPayloadSplitsIntoItsEnvelopesByteForByte() {
    String one = "{\"event_id\":\"a\",\"data\":{\"text\":\"], {\\\"x\\\": [1,2]}\",\"n\":1.50}}";
    String two = "{\"event_id\":\"b\",\"data\":[{},[]]}";
    assertEquals(List.of(one, two), WebhookQueue.elements("[" + one + "," + two + "]"));
    assertEquals(List.of(one), WebhookQueue.elements("[" + one + "]"));
  }
}
