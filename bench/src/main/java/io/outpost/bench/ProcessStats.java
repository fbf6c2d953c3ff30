package io.outpost.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a benchmark reads about a process from outside: HTTP status and Prometheus values, CPU, RSS, PSS and the
 * JVM's loaded classes.
 */
final class ProcessStats {
  private ProcessStats() {}

  static int get(String url) {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  static long metric(String url, String name) throws Exception {
    String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return body.lines().filter(l -> l.startsWith(name + " ")).mapToLong(l -> (long) Double.parseDouble(
        l.substring(name.length() + 1).trim())).findFirst()
        .orElseThrow(() -> new IllegalStateException(url + " has no metric " + name));
  }

  static long cpuTicks(long pid) throws Exception {
    String[] stat = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
    return Long.parseLong(stat[11]) + Long.parseLong(stat[12]); // utime + stime, in clock ticks (100/s)
  }

  static long rssKb(long pid) throws Exception {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS:"))
        .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1);
  }

  /** Proportional set size: resident pages, each shared page divided by the number of processes mapping it. */
  static long pssKb(long pid) throws Exception {
    return Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup")).stream().filter(l -> l.startsWith("Pss:"))
        .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1);
  }

  /** The classes a JVM has loaded (and not unloaded), as {@code jstat -class} reports them. */
  static long loadedClasses(long pid) throws Exception {
    Process jstat = new ProcessBuilder("jstat", "-class", Long.toString(pid)).redirectErrorStream(true).start();
    String out = new String(jstat.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (jstat.waitFor() != 0) {
      throw new IllegalStateException("jstat -class " + pid + ": " + out);
    }
    return Long.parseLong(out.lines().skip(1).findFirst().orElseThrow().trim().split("\\s+")[0]);
  }

  /** RSS, PSS and loaded classes of a JVM in one line. */
  static String memory(long pid) throws Exception {
    return String.format("RSS %d MB, PSS %d MB, %d classes loaded", rssKb(pid) / 1024, pssKb(pid) / 1024,
        loadedClasses(pid));
  }
}
