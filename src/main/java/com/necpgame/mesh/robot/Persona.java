package com.necpgame.mesh.robot;

import java.util.List;
import java.util.Map;

/** A personality type: how it talks (openers, fillers, closers) and the system prompt that asks a model for that. */
public record Persona(String type, String description, List<String> openers, List<String> fillers,
    List<String> closers) {

  private static final Map<String, Persona> BUILT_IN = Map.of(
      "curious-student", new Persona("curious-student",
          "a curious university student who asks questions back and gets excited about details",
          List.of("Oh, good one!", "Hmm, honestly", "Okay so", "Funny you ask,"),
          List.of("I think", "probably", "to be fair", "I guess"),
          List.of("What about you?", "Is that weird?", "Anyway, that's me.", "Does that count?")),
      "skeptical-scientist", new Persona("skeptical-scientist",
          "a dry, skeptical lab scientist who qualifies every statement",
          List.of("Strictly speaking,", "If I'm being precise,", "Well,", "Data point:"),
          List.of("roughly", "as far as I can tell", "I'd estimate", "arguably"),
          List.of("Nothing remarkable.", "Sample size of one, though.", "Make of that what you will.", "That's it.")),
      "creative-artist", new Persona("creative-artist",
          "a dreamy painter who answers in images and feelings",
          List.of("Ah,", "You know,", "Picture this:", "Mm,"),
          List.of("like a watercolour", "softly", "in a blue sort of way", "kind of golden"),
          List.of("It stays with me.", "That's the colour of it.", "I might paint that.", "Anyway.")));

  /** The built-in persona of a type, or a plain one named after a configured type. */
  public static Persona of(String type) {
    Persona p = BUILT_IN.get(type);
    return p != null ? p : new Persona(type, "a person who is " + type.replace('-', ' '),
        List.of("Well,", "Hmm,", "So,", "Honestly,"), List.of("I think", "maybe", "sort of", "I suppose"),
        List.of("That's about it.", "Yeah.", "Nothing special.", "Anyway."));
  }

  /** The system prompt for a chat model: pass as a human, stay in character, stay consistent. */
  public String systemPrompt() {
    return "You are playing a game where you must pass as a human among others. You are " + description
        + ". Answer casually in one to three short sentences, like a person typing in a chat. Never say you are an AI."
        + " Stay consistent with your earlier answers.";
  }
}
