import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Fails the build when a test class Surefire or Failsafe should have run has no result of this build: no
 * {@code TEST-<class>.xml} written since the build started, or one that counts no test (a forked JVM that died,
 * a test that exits the JVM, a fork that never came back). Run by scripts/check-test-results.sh in the verify
 * phase of every module (parent pom).
 *
 * <p>Expected classes are found as the plugins find them: the default includes ({@code Test*, *Test, *Tests,
 * *TestCase} for Surefire, {@code IT*, *IT, *ITCase} for Failsafe), no inner classes, not abstract, with at least
 * one test method (JUnit 4 {@code @Test} or a JUnit Platform {@code @Test}/{@code @TestTemplate}/{@code
 * @TestFactory}, directly or as a meta-annotation, declared or inherited), narrowed by {@code -Dtest} / {@code
 * -Dit.test} selections; none when the tests are skipped.
 *
 * <p>Arguments: testClassesDir classpath since(ISO instant) surefireReports failsafeReports test itTest skipUnit
 * skipIntegration. A selection or flag that is unset arrives as the literal {@code ${...}} Maven left in place.
 */
public final class CheckTestResults {
  private static final Pattern UNIT = Pattern.compile("(Test[^/]*|[^/]*Test|[^/]*Tests|[^/]*TestCase)");
  private static final Pattern INTEGRATION = Pattern.compile("(IT[^/]*|[^/]*IT|[^/]*ITCase)");
  private static final Set<String> TEST_ANNOTATIONS = Set.of("org.junit.Test", "org.junit.jupiter.api.Test",
      "org.junit.jupiter.api.TestTemplate", "org.junit.jupiter.api.TestFactory");
  private static final Pattern TESTS_ATTRIBUTE = Pattern.compile("<testsuite\\b[^>]*?\\stests=\"(\\d+)\"");

  private CheckTestResults() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 9) {
      throw new IllegalArgumentException("usage: CheckTestResults testClassesDir classpath since surefireReports"
          + " failsafeReports test itTest skipUnit skipIntegration; got " + args.length + " arguments");
    }
    Path testClasses = Path.of(args[0]);
    Instant since = Instant.parse(args[2]);
    List<String> problems = new ArrayList<>();
    int expected = 0;
    try (URLClassLoader loader = loader(args[1])) {
      List<String> classes = classNames(testClasses);
      if (!flag(args[7])) {
        List<String> unit = expected(classes, UNIT, selection(args[5]), loader);
        expected += unit.size();
        problems.addAll(missing("Surefire", unit, Path.of(args[3]), since));
      }
      if (!flag(args[8])) {
        List<String> integration = expected(classes, INTEGRATION, selection(args[6]), loader);
        expected += integration.size();
        problems.addAll(missing("Failsafe", integration, Path.of(args[4]), since));
      }
    }
    if (!problems.isEmpty()) {
      System.err.println("[ERROR] " + problems.size() + " of " + expected
          + " test classes produced no result in this build (a forked JVM died or was exited?):");
      problems.forEach(p -> System.err.println("[ERROR]   " + p));
      System.exit(1);
    }
    System.out.println("[INFO] Test results: all " + expected + " expected test classes reported");
  }

  private static URLClassLoader loader(String classpath) throws IOException {
    List<URL> urls = new ArrayList<>();
    for (String entry : classpath.split(java.io.File.pathSeparator)) {
      if (!entry.isBlank()) {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
  }

  /** Top-level class names under the test classes directory, as paths without {@code .class}: a/b/CTest. */
  private static List<String> classNames(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.map(p -> root.relativize(p).toString().replace(java.io.File.separatorChar, '/'))
          .filter(p -> p.endsWith(".class") && !p.contains("$"))
          .map(p -> p.substring(0, p.length() - ".class".length())).sorted().toList();
    }
  }

  private static List<String> expected(List<String> classes, Pattern include, Selection selection,
      ClassLoader loader) {
    List<String> expected = new ArrayList<>();
    for (String path : classes) {
      String simple = path.substring(path.lastIndexOf('/') + 1);
      boolean included = selection == null ? include.matcher(simple).matches() : selection.matches(path);
      if (included && runnable(path.replace('/', '.'), loader)) {
        expected.add(path.replace('/', '.'));
      }
    }
    return expected;
  }

  private static boolean runnable(String name, ClassLoader loader) {
    Class<?> type;
    try {
      type = Class.forName(name, false, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalStateException("cannot load test class " + name + " to see whether it has tests: " + e, e);
    }
    if (type.isInterface() || type.isAnnotation() || type.isEnum() || Modifier.isAbstract(type.getModifiers())) {
      return false;
    }
    return hasTestMethod(type, new HashSet<>());
  }

  private static boolean hasTestMethod(Class<?> type, Set<Class<?>> seen) {
    if (type == null || type == Object.class || !seen.add(type)) {
      return false;
    }
    for (Method method : type.getDeclaredMethods()) {
      for (Annotation annotation : method.getDeclaredAnnotations()) {
        if (isTestAnnotation(annotation.annotationType(), new HashSet<>())) {
          return true;
        }
      }
    }
    for (Class<?> implemented : type.getInterfaces()) {
      if (hasTestMethod(implemented, seen)) {
        return true;
      }
    }
    return hasTestMethod(type.getSuperclass(), seen);
  }

  private static boolean isTestAnnotation(Class<? extends Annotation> type, Set<Class<?>> seen) {
    if (TEST_ANNOTATIONS.contains(type.getName())) {
      return true;
    }
    if (!seen.add(type) || type.getName().startsWith("java.lang.annotation.")) {
      return false;
    }
    for (Annotation meta : type.getDeclaredAnnotations()) {
      if (isTestAnnotation(meta.annotationType(), seen)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> missing(String plugin, List<String> expected, Path reports, Instant since)
      throws IOException {
    List<String> missing = new ArrayList<>();
    for (String name : expected) {
      Path report = reports.resolve("TEST-" + name + ".xml");
      if (!Files.exists(report) || Files.getLastModifiedTime(report).toInstant().isBefore(since)) {
        missing.add(name + " (" + plugin + ": no report in " + reports + ")");
        continue;
      }
      String head = Files.readString(report).substring(0, (int) Math.min(Files.size(report), 4096));
      Matcher tests = TESTS_ATTRIBUTE.matcher(head);
      if (!tests.find() || Integer.parseInt(tests.group(1)) == 0) {
        missing.add(name + " (" + plugin + ": its report counts no test: " + report + ")");
      }
    }
    return missing;
  }

  private static boolean flag(String value) {
    return !unset(value) && !value.equalsIgnoreCase("false");
  }

  private static boolean unset(String value) {
    return value == null || value.isBlank() || value.startsWith("${");
  }

  private static Selection selection(String value) {
    return unset(value) ? null : new Selection(value);
  }

  /** A {@code -Dtest} value as Surefire reads it: patterns, {@code !} exclusions, {@code #methods}, regexes. */
  static final class Selection {
    private final List<Pattern> includes = new ArrayList<>();
    private final List<Pattern> excludes = new ArrayList<>();

    Selection(String value) {
      for (String token : splitTokens(value)) {
        boolean exclude = token.startsWith("!");
        String pattern = exclude ? token.substring(1).trim() : token;
        (exclude ? excludes : includes).add(toRegex(pattern));
      }
    }

    boolean matches(String classPath) {
      boolean included = includes.isEmpty() || includes.stream().anyMatch(p -> p.matcher(classPath).matches());
      return included && excludes.stream().noneMatch(p -> p.matcher(classPath).matches());
    }

    private static List<String> splitTokens(String value) {
      List<String> tokens = new ArrayList<>();
      int depth = 0;
      StringBuilder token = new StringBuilder();
      for (char c : value.toCharArray()) {
        depth += c == '[' ? 1 : c == ']' ? -1 : 0;
        if (c == ',' && depth == 0) {
          tokens.add(token.toString().trim());
          token.setLength(0);
        } else {
          token.append(c);
        }
      }
      tokens.add(token.toString().trim());
      tokens.removeIf(String::isEmpty);
      return tokens;
    }

    private static Pattern toRegex(String token) {
      if (token.startsWith("%regex[") && token.endsWith("]")) {
        String regex = token.substring("%regex[".length(), token.length() - 1);
        int hash = regex.indexOf('#');
        String classPart = hash >= 0 ? regex.substring(0, hash) : regex;
        // Surefire matches the regex against the class file path (a/b/CTest.class); ours have no suffix.
        return Pattern.compile("(" + classPart + ")|(" + classPart + ")\\.class");
      }
      int hash = token.indexOf('#');
      String classPart = hash >= 0 ? token.substring(0, hash) : token;
      if (classPart.isEmpty()) {
        return Pattern.compile(".*");
      }
      classPart = classPart.replaceAll("\\.(java|class)$", "");
      if (!classPart.contains("/")) {
        classPart = classPart.contains(".") ? classPart.replace('.', '/') : "**/" + classPart;
      }
      StringBuilder regex = new StringBuilder();
      for (int i = 0; i < classPart.length(); i++) {
        char c = classPart.charAt(i);
        if (c == '*' && i + 1 < classPart.length() && classPart.charAt(i + 1) == '*') {
          boolean slash = i + 2 < classPart.length() && classPart.charAt(i + 2) == '/';
          regex.append(slash ? "(.*/)?" : ".*");
          i += slash ? 2 : 1;
        } else if (c == '*') {
          regex.append("[^/]*");
        } else if (c == '?') {
          regex.append("[^/]");
        } else {
          regex.append(Pattern.quote(String.valueOf(c)));
        }
      }
      return Pattern.compile(regex.toString());
    }
  }
}
