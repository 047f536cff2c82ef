package com.necpgame.mesh.robot;

import io.vertx.core.Future;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The built-in provider: no network, deterministic for a seed. An answer is stitched from the persona's phrases and
 * the prompt's own words, and refers back to the robot's earlier answer; a vote picks the answer that reads most like
 * a hurried human (short, lower-case, no persona phrasing), ties broken by the seeded random.
 */
public final class LocalProvider implements TextProvider {

  private static final List<String> SUBJECTS = List.of("my sister", "the bus", "a cat next door", "work", "rain",
      "an old friend", "the kitchen", "my phone", "a small cafe", "the night shift");

  private final long seed;

  public LocalProvider(long seed) {
    this.seed = seed;
  }

  @Override
  public String name() {
    return "local";
  }

  /** Uses no model: no tokens. */
  @Override
  public Future<Reply> answer(Task task) {
    return Future.succeededFuture(new Reply(task.kind() == Task.Kind.VOTE ? vote(task) : respond(task), 0, 0));
  }

  /** Answers a fixed question: it fails only if the generator itself is broken. */
  @Override
  public Future<Void> probe() {
    String text = respond(new Task(Task.Kind.RESPONSE, "probe", "probe", "probe", 1, "Are you there today?",
        java.util.List.of(), "A", Map.of()));
    return text.isBlank() ? Future.failedFuture(new ProviderException("bad_answer", "the local provider answered "
        + "nothing")) : Future.succeededFuture();
  }

  public String respond(Task task) {
    Persona p = Persona.of(task.type());
    Random r = random(task);
    String topic = topic(task.prompt());
    StringBuilder text = new StringBuilder();
    text.append(pick(p.openers(), r)).append(' ').append(pick(p.fillers(), r)).append(" it has to do with ")
        .append(pick(SUBJECTS, r)).append(" and ").append(topic).append('.');
    if (!task.history().isEmpty()) {
      text.append(" Like I said before, ").append(firstWords(task.history().get(task.history().size() - 1), 6))
          .append('…');
    }
    text.append(' ').append(pick(p.closers(), r));
    return text.toString();
  }

  /** The identity letter voted for: never the robot's own. */
  public String vote(Task task) {
    Random r = random(task);
    String best = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (Map.Entry<String, String> e : task.responses().entrySet()) {
      if (e.getKey().equals(task.ownIdentity())) {
        continue;
      }
      double score = humanLike(e.getValue()) + r.nextDouble();
      if (score > bestScore) {
        bestScore = score;
        best = e.getKey();
      }
    }
    return best == null ? "" : best;
  }

  /** How much a text reads like a person typing: short, casual, none of the personas' stock phrases. */
  static double humanLike(String text) {
    if (text == null || text.isBlank()) {
      return -5;
    }
    double score = 0;
    score += text.length() < 80 ? 2 : text.length() < 160 ? 1 : 0;
    score += Character.isLowerCase(text.charAt(0)) ? 1 : 0;
    score += text.contains("…") || text.contains("Like I said before") ? -1 : 0;
    score += text.endsWith(".") ? 0 : 0.5;
    return score;
  }

  private Random random(Task task) {
    return new Random(seed * 1_000_003L + (task.robotId() + ":" + task.matchId() + ":" + task.round() + ":"
        + task.kind()).hashCode());
  }

  /** The prompt's first two words of more than four letters. */
  private static String topic(String prompt) {
    List<String> words = Arrays.stream(prompt.toLowerCase().replaceAll("[^a-z ]", " ").split(" +"))
        .filter(w -> w.length() > 4).limit(2).toList();
    return words.isEmpty() ? "that question" : String.join(" ", words);
  }

  private static String firstWords(String text, int n) {
    String[] words = text.split(" +");
    return String.join(" ", Arrays.copyOfRange(words, 0, Math.min(n, words.length)));
  }

  private static String pick(List<String> options, Random r) {
    return options.get(r.nextInt(options.size()));
  }
}
