package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.ResourceFieldRefV1;
import io.outpost.protocol.ResourcesV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The downward API's values as a kubelet computes them: field paths, quoting, resources, subPathExpr. */
class DownwardApiTest {
  private static final ObjectRef REF = new ObjectRef("Pod", "ns", "web-0", "uid-1", "1");
  private static final Map<String, String> NODE = Map.of("cpu", "3500m", "memory", "7Gi",
      "ephemeral-storage", "100G");

  private static ContainerV1 container(String name, ResourcesV1 resources) {
    return new ContainerV1(name, "img", null, null, null, null, null, null, resources, null, null);
  }

  private static PodV1 pod(Map<String, String> labels, Map<String, String> annotations, ContainerV1... containers) {
    return new PodV1("node-a", "Always", 1L, null, null, List.of(containers), null, null, null, null, null, null,
        null, null, null, null, null, labels, annotations, "builder");
  }

  @Test
  void labelsAndAnnotationsAreSortedKeyQuotedValueLinesAsGoFormatsThem() throws Exception {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("zeta", "last");
    labels.put("app", "he said \"hi\"\nrm -rf / \\ tab\there");
    labels.put("emoji", "caf\u00e9 \u2603 \ud83d\ude00 \u0007\u007f\u00a0\u200b");
    PodV1 pod = pod(labels, Map.of("a/b", "x"), container("app", null));

    assertThat(FieldPaths.metadata(REF, pod, "metadata.labels", "test")).isEqualTo(
        "app=\"he said \\\"hi\\\"\\nrm -rf / \\\\ tab\\there\"\n"
            + "emoji=\"caf\u00e9 \u2603 \ud83d\ude00 \\a\\x7f\\u00a0\\u200b\"\n"
            + "zeta=\"last\"");
    assertThat(FieldPaths.metadata(REF, pod, "metadata.annotations", "test")).isEqualTo("a/b=\"x\"");
    assertThat(FieldPaths.metadata(REF, pod(Map.of(), null, container("app", null)), "metadata.labels", "t"))
        .isEmpty();
  }

  @Test
  void subscriptsReadOneKeyAndMissingKeysAreEmpty() throws Exception {
    PodV1 pod = pod(Map.of("app", "web"), Map.of("example.com/owner", "team-a"), container("app", null));
    assertThat(FieldPaths.metadata(REF, pod, "metadata.labels['app']", "t")).isEqualTo("web");
    assertThat(FieldPaths.metadata(REF, pod, "metadata.labels['absent']", "t")).isEmpty();
    assertThat(FieldPaths.metadata(REF, pod, "metadata.annotations['example.com/owner']", "t")).isEqualTo("team-a");
    assertThat(FieldPaths.metadata(REF, pod, "metadata.uid", "t")).isEqualTo("uid-1");
    assertThatThrownBy(() -> FieldPaths.metadata(REF, pod, "metadata.labels['bad key!']", "t"))
        .hasMessageContaining("invalid key subscript in metadata.labels['bad key!']");
    assertThatThrownBy(() -> FieldPaths.metadata(REF, pod, "metadata.name['x']", "t"))
        .hasMessageContaining("does not support subscript");
  }

  @Test
  void envHasTheKubeletsRuntimeFieldsAndVolumesOnlyMetadata() throws Exception {
    PodV1 pod = pod(Map.of(), Map.of(), container("app", null));
    FieldPaths.Addresses addresses = new FieldPaths.Addresses("node-a", "10.88.0.7", "192.168.1.20");
    assertThat(FieldPaths.env(REF, pod, "spec.serviceAccountName", addresses, "SA")).isEqualTo("builder");
    assertThat(FieldPaths.env(REF, pod, "spec.nodeName", addresses, "N")).isEqualTo("node-a");
    assertThat(FieldPaths.env(REF, pod, "status.hostIPs", addresses, "H")).isEqualTo("192.168.1.20");
    assertThat(FieldPaths.env(REF, pod, "status.podIPs", addresses, "P")).isEqualTo("10.88.0.7");
    assertThatThrownBy(() -> FieldPaths.env(REF, pod, "status.phase", addresses, "PHASE"))
        .hasMessageStartingWith("unsupported fieldPath \"status.phase\" in env PHASE (supported: ");
    assertThatThrownBy(() -> FieldPaths.metadata(REF, pod, "spec.nodeName", "downwardAPI item node"))
        .hasMessageStartingWith("unsupported fieldPath \"spec.nodeName\" in downwardAPI item node");
  }

  @Test
  void resourcesAreDividedAndRoundedUpAndUnsetLimitsAreTheNodesAllocatable() throws Exception {
    ContainerV1 app = container("app", new ResourcesV1(250L, 1250L, 32L * 1024 * 1024, 64L * 1024 * 1024, 5000L));
    ContainerV1 bare = container("bare", null);
    PodV1 pod = pod(Map.of(), Map.of(), app, bare);
    assertThat(value("limits.cpu", null, pod, app)).isEqualTo("2");
    assertThat(value("limits.cpu", "1m", pod, app)).isEqualTo("1250");
    assertThat(value("requests.cpu", null, pod, app)).isEqualTo("1");
    assertThat(value("requests.cpu", "100m", pod, app)).isEqualTo("3");
    assertThat(value("limits.memory", "1Mi", pod, app)).isEqualTo("64");
    assertThat(value("requests.memory", "1M", pod, app)).isEqualTo("34");
    assertThat(value("requests.ephemeral-storage", "1k", pod, app)).isEqualTo("5");
    assertThat(value("limits.cpu", null, pod, bare)).isEqualTo("4");
    assertThat(value("limits.cpu", "1m", pod, bare)).isEqualTo("3500");
    assertThat(value("limits.memory", "1Gi", pod, bare)).isEqualTo("7");
    assertThat(value("limits.ephemeral-storage", "1G", pod, bare)).isEqualTo("100");
    assertThat(value("requests.memory", null, pod, bare)).isEqualTo("0");
    assertThat(value("limits.memory", "0", pod, app)).isEqualTo(String.valueOf(64L * 1024 * 1024));
    assertThat(ResourceFields.value(new ResourceFieldRefV1("app", "limits.cpu", "1m"), pod, null, NODE))
        .isEqualTo("1250");
    assertThat(ResourceFields.ceilDivide(new BigDecimal("1e30"), BigDecimal.ONE))
        .isEqualTo(String.valueOf(Long.MAX_VALUE));
    assertThatThrownBy(() -> value("limits.hugepages-2Mi", null, pod, app))
        .hasMessageStartingWith("unsupported container resource : limits.hugepages-2Mi");
    assertThatThrownBy(() -> ResourceFields.value(new ResourceFieldRefV1("ghost", "limits.cpu", null), pod, null,
        NODE)).hasMessage("container ghost not found");
    assertThatThrownBy(() -> value("limits.cpu", "lots", pod, app)).hasMessageContaining("invalid");
  }

  private static String value(String resource, String divisor, PodV1 pod, ContainerV1 self) throws Exception {
    return ResourceFields.value(new ResourceFieldRefV1(null, resource, divisor), pod, self, NODE);
  }

  @Test
  void subPathExprExpandsFromTheEnvironmentAndRefusesWhatAKubeletRefuses() throws Exception {
    Map<String, String> env = Map.of("POD", "web-0", "UP", "../..", "ABS", "/etc", "EMPTY", "");
    assertThat(SubPathExpressions.expand("logs/$(POD)/x", env)).isEqualTo("logs/web-0/x");
    assertThat(SubPathExpressions.expand("a$$(POD)", env)).isEqualTo("a$(POD)");
    assertThatThrownBy(() -> SubPathExpressions.expand("$(UP)", env))
        .hasMessage("unable to provision SubPath `../..`: must not contain '..'");
    assertThatThrownBy(() -> SubPathExpressions.expand("a/$(UP)/b", env)).hasMessageContaining("'..'");
    assertThatThrownBy(() -> SubPathExpressions.expand("$(ABS)", env))
        .hasMessage("error SubPath `/etc` must not be an absolute path");
    assertThatThrownBy(() -> SubPathExpressions.expand("$(NOPE)/$(EMPTY)", env))
        .hasMessage("missing value for EMPTY, NOPE");
    assertThat(SubPathExpressions.expand("a..b/..c", env)).isEqualTo("a..b/..c");

    ContainerV1 container = new ContainerV1("app", "img", null, null, null, null, null, null, null, null,
        List.of(new VolumeMountV1("v", "/plain", "p", null), new VolumeMountV1("v", "/expr", null, null,
            "d/$(POD)", null)));
    Map<Integer, String> expanded = SubPathExpressions.expand(container, List.of("POD=web-0"));
    assertThat(expanded).containsExactly(Map.entry(1, "d/web-0"));
    assertThat(SubPathExpressions.labels(expanded)).containsExactly(Map.entry("io.outpost.subpathexpr.1",
        "d/web-0"));
  }
}
