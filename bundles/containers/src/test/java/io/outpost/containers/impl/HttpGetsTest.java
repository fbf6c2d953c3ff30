package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.ProbeV1;
import io.outpost.protocol.ProbeV1.HttpHeaderV1;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The request text of probes and hooks, compared with what the kubelet's {@code newProbeRequest} sends. */
class HttpGetsTest {

  private static ProbeV1.HttpGetV1 get(String path, String host, HttpHeaderV1... headers) {
    return new ProbeV1.HttpGetV1(path, 8080, null, host, List.of(headers));
  }

  @Test
  void defaultsAreTheKubeletsHostUserAgentAndAccept() throws IOException {
    assertThat(HttpGets.request(get("healthz", null), "10.0.0.5", "probe")).isEqualTo("GET /healthz HTTP/1.1\r\n"
        + "Host: 10.0.0.5:8080\r\nUser-Agent: kube-probe/1.32\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    assertThat(HttpGets.request(get("/", null), "fd00::5", "lifecycle"))
        .contains("Host: [fd00::5]:8080\r\n", "User-Agent: kube-lifecycle/1.32\r\n");
  }

  @Test
  void headersOverrideHostUserAgentAndAcceptAndRepeatsAreAllSent() throws IOException {
    String request = HttpGets.request(get("/x", "10.0.0.9", new HttpHeaderV1("host", "example.test"),
        new HttpHeaderV1("user-agent", "mine/1"), new HttpHeaderV1("Accept", ""),
        new HttpHeaderV1("x-custom-header", "a"), new HttpHeaderV1("X-Custom-Header", "b")), "10.0.0.9", "probe");
    assertThat(request).startsWith("GET /x HTTP/1.1\r\nHost: example.test\r\n")
        .contains("User-Agent: mine/1\r\n", "X-Custom-Header: a\r\nX-Custom-Header: b\r\n")
        .doesNotContain("Accept").doesNotContain("kube-probe");
    assertThat(request.split("Host:", -1)).hasSize(2);
  }

  @Test
  void anythingThatWouldBreakOutOfTheRequestIsRefused() {
    assertThatThrownBy(() -> HttpGets.request(get("/a\r\nX-Evil: 1", null), "10.0.0.5", "lifecycle"))
        .isInstanceOf(IOException.class).hasMessageContaining("path");
    assertThatThrownBy(() -> HttpGets.request(get("/a b", null), "10.0.0.5", "lifecycle"))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> HttpGets.request(get("/", null, new HttpHeaderV1("X-A", "1\r\nX-Evil: 2")),
        "10.0.0.5", "lifecycle")).isInstanceOf(IOException.class).hasMessageContaining("X-A");
    assertThatThrownBy(() -> HttpGets.request(get("/", null, new HttpHeaderV1("X A", "1")), "10.0.0.5",
        "lifecycle")).isInstanceOf(IOException.class).hasMessageContaining("header name");
    assertThatThrownBy(() -> HttpGets.request(get("/", "evil\r\nhost"), "evil\r\nhost", "lifecycle"))
        .isInstanceOf(IOException.class).hasMessageContaining("host");
  }

  @Test
  void headerNamesAreCanonicalAsGosAre() {
    assertThat(HttpGets.canonical("x-custom-header")).isEqualTo("X-Custom-Header");
    assertThat(HttpGets.canonical("HOST")).isEqualTo("Host");
  }
}
