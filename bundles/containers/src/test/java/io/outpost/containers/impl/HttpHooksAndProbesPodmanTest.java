package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.HandlerV1;
import io.outpost.protocol.PodV1.LifecycleV1;
import io.outpost.protocol.ProbeV1;
import io.outpost.testing.Podman;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * httpGet probes and hooks with {@code host} and {@code httpHeaders}: a server of the test on the node's loopback
 * (the {@code host} a pod names instead of its own IP) records each request as it arrives, so the test sees the
 * request line and headers a kubelet would send ({@code Host} overridden by a header, {@code User-Agent:
 * kube-probe/1.32} or {@code kube-lifecycle/1.32}, {@code Accept: *}{@code /*}), next to the status Kubernetes shows.
 */
class HttpHooksAndProbesPodmanTest extends PodmanFixture {
  private ServerSocket server;
  private Thread serving;
  /** Each request received: its request line and headers. */
  private final List<List<String>> requests = new CopyOnWriteArrayList<>();
  /** The status the server answers with. */
  private volatile int answer = 200;

  @BeforeEach
  void serve() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    serving = new Thread(() -> {
      while (!server.isClosed()) {
        try (Socket socket = server.accept()) {
          BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
              StandardCharsets.ISO_8859_1));
          List<String> lines = new ArrayList<>();
          for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            lines.add(line);
          }
          requests.add(lines);
          socket.getOutputStream().write(("HTTP/1.1 " + answer + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
          // closed by the test, or a client that went away: next connection
        }
      }
    }, "test-http");
    serving.start();
  }

  @AfterEach
  void stopServing() throws Exception {
    server.close();
    serving.join(10_000);
  }

  private List<String> request(String path) {
    return await().atMost(Duration.ofSeconds(60)).until(() -> {
      reconciler.reconcile();
      return requests.stream().filter(r -> r.get(0).startsWith("GET " + path + " ")).findFirst().orElse(null);
    }, r -> r != null);
  }

  @Test
  void aProbeSendsTheHostAndHeadersAskedForToTheHostAskedFor() {
    ProbeV1.HttpGetV1 get = new ProbeV1.HttpGetV1("/healthz", server.getLocalPort(), "HTTP", "127.0.0.1",
        List.of(new ProbeV1.HttpHeaderV1("Host", "example.test"), new ProbeV1.HttpHeaderV1("x-probe", "yes")));
    ContainerV1 spec = new ContainerV1("app", Podman.TEST_IMAGE, "IfNotPresent", List.of("sleep", "3600"), null,
        null, null, null, null, null, null, new ProbeV1.ProbesV1(null, new ProbeV1(null, get, null, null, 0, 1, 1, 1,
        1), null));
    ObjectRef ref = new ObjectRef("Pod", "default", "probed", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(spec)));

    PodStatusReport ready = reconcileUntil(ref.uid(), s -> s.containers().get(0).ready());
    assertThat(ready.containers().get(0).state().kind()).isEqualTo("running");
    List<String> request = request("/healthz");
    assertThat(request.get(0)).isEqualTo("GET /healthz HTTP/1.1");
    assertThat(request).contains("Host: example.test", "X-Probe: yes", "User-Agent: kube-probe/1.32",
        "Accept: */*");

    answer = 503;
    PodStatusReport unready = reconcileUntil(ref.uid(), s -> !s.containers().get(0).ready());
    assertThat(unready.containers().get(0).restartCount()).isZero();
    assertThat(store.events).anySatisfy(e -> assertThat(e.message())
        .isEqualTo("Readiness probe failed: HTTP probe failed with statuscode: 503"));
  }

  @Test
  void httpGetHooksGoToTheirHostWithTheLifecycleUserAgentAndAnyStatusIsSuccess() {
    answer = 500; // handlers.go checks the transport only: an error status is not a failed hook
    HandlerV1 postStart = new HandlerV1(null, new ProbeV1.HttpGetV1("/started", server.getLocalPort(), null,
        "127.0.0.1", List.of(new ProbeV1.HttpHeaderV1("X-Hook", "post"))), null, null);
    HandlerV1 preStop = new HandlerV1(null, new ProbeV1.HttpGetV1("/stopping", server.getLocalPort(), null,
        "127.0.0.1", null), null, null);
    ContainerV1 spec = LifecycleHooksPodmanTest.app("exec sleep 3600", new LifecycleV1(postStart, preStop, null),
        null, false);
    ObjectRef ref = new ObjectRef("Pod", "default", "web-hooks", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 2L, null, null, List.of(spec)));

    reconcileUntil(ref.uid(), s -> "running".equals(s.containers().get(0).state().kind()));
    List<String> started = request("/started");
    assertThat(started).contains("User-Agent: kube-lifecycle/1.32", "X-Hook: post",
        "Host: 127.0.0.1:" + server.getLocalPort());

    store.put(ref, new PodV1(node, "Always", 2L, "2026-01-01T00:00:00Z", 2L, List.of(spec)));
    assertThat(request("/stopping")).contains("User-Agent: kube-lifecycle/1.32");
    reconcileUntil(ref.uid(), PodStatusReport::stopped);
    assertThat(store.events).noneSatisfy(e -> assertThat(e.reason()).isIn("FailedPostStartHook",
        "FailedPreStopHook"));
  }

  @Test
  void anUnreachableHookHostFailsThePostStartHook() throws IOException {
    int closed;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = free.getLocalPort(); // nothing listens there once closed
    }
    HandlerV1 postStart = new HandlerV1(null, new ProbeV1.HttpGetV1("/nobody", closed, null, "127.0.0.1", null),
        null, null);
    ContainerV1 spec = LifecycleHooksPodmanTest.app("exec sleep 3600", new LifecycleV1(postStart, null, null), null,
        false);
    ObjectRef ref = new ObjectRef("Pod", "default", "web-hook-down", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Never", 1L, null, null, List.of(spec)));

    PodStatusReport failed = reconcileUntil(ref.uid(), s -> "Failed".equals(s.phase()));
    assertThat(failed.containers().get(0).state().kind()).isEqualTo("terminated");
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.reason()).isEqualTo("FailedPostStartHook");
      assertThat(e.message()).isEqualTo("PostStartHook failed");
    });
  }
}
