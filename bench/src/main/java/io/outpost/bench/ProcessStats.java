package io.outpost.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a benchmark reads about a process from outside: HTTP status and Prometheus values, CPU and RSS. */
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
}
