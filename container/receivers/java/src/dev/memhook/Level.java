package dev.memhook;

/** Which level a handler is for: a number, a name, or any. */
final class Level {
  static final Level ANY = new Level(-1, null);
  final int number;
  final String name;

  private Level(int number, String name) {
    this.number = number;
    this.name = name;
  }

  static Level of(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("a level is 0 or more");
    }
    return new Level(n, null);
  }

  static Level of(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a level name is not empty");
    }
    return new Level(-1, name);
  }

  boolean matches(Event e) {
    if (name != null) {
      return name.equals(e.subjectLevelName());
    }
    return number < 0 || number == e.subjectLevel();
  }
}
