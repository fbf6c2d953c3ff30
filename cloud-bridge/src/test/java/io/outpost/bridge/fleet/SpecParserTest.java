package io.outpost.bridge.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the controller refuses to stamp, and why (the SpecValid condition's reason). */
class SpecParserTest {
  private final KubernetesSerialization json = new KubernetesSerialization();
  private final SpecParser parser = new SpecParser(json);

  private Object spec(String yaml) {
    return json.unmarshal(yaml, Map.class);
  }

  private static final String TEMPLATE = "template: {spec: {containers: [{name: app, image: a:1}],"
      + " initContainers: [{name: init, image: i:1}]}}\n";

  private void refused(String yaml, String reason, String mentions) {
    assertThatThrownBy(() -> parser.parse(spec(yaml))).isInstanceOf(SiteWorkloadSpec.Invalid.class)
        .hasMessageContaining(mentions)
        .satisfies(e -> assertThat(((SiteWorkloadSpec.Invalid) e).reason()).isEqualTo(reason));
  }

  @Test
  void aValidSpecIsRead() throws Exception {
    SiteWorkloadSpec spec = parser.parse(spec("sites: {names: [a, b], nodeSelector: {matchLabels: {tier: x}}}\n"
        + "replicas: 2\n" + TEMPLATE + "overrides: [{site: b, replicas: 4, containers: [{name: init, image: i:2,"
        + " env: [{name: X, value: y}], resources: {limits: {cpu: 1}}}]}]"));
    assertThat(spec.kind()).isEqualTo("Deployment");
    assertThat(spec.siteNames()).containsExactly("a", "b");
    assertThat(spec.replicasFor("a")).isEqualTo(2);
    assertThat(spec.replicasFor("b")).isEqualTo(4);
    assertThat(spec.overrides().get("b").containers().get("init").image()).isEqualTo("i:2");
  }

  @Test
  void whatCannotBeStampedIsRefusedWithAReason() {
    refused("kind: StatefulSet\n" + TEMPLATE, "UnknownKind", "StatefulSet");
    refused(TEMPLATE + "overrides: [{site: a, containers: [{name: web}]}]", "UnknownContainer", "'web'");
    refused("sites: {names: [\"bad site\"]}\n" + TEMPLATE, "InvalidSiteName", "bad site");
    refused(TEMPLATE + "overrides: [{site: \"-x\"}]", "InvalidSiteName", "-x");
    refused(TEMPLATE + "overrides: [{site: a}, {site: a}]", "InvalidOverride", "twice");
    refused("kind: DaemonSet\nreplicas: 3\n" + TEMPLATE, "InvalidField", "replicas");
    refused("kind: DaemonSet\n" + TEMPLATE + "overrides: [{site: a, replicas: 1}]", "InvalidOverride", "replicas");
    refused("replicas: -1\n" + TEMPLATE, "InvalidField", "replicas");
    refused("replicas: many\n" + TEMPLATE, "InvalidField", "replicas");
    refused("sites: {nodeSelector: {matchExpressions: [{key: k, operator: Near}]}}\n" + TEMPLATE, "InvalidSelector",
        "Near");
    refused("sites: {nodeSelector: {matchExpressions: [{key: k, operator: In}]}}\n" + TEMPLATE, "InvalidSelector",
        "needs values");
    refused("replicas: 1", "InvalidTemplate", "spec.template");
    refused("template: {spec: {containers: []}}", "InvalidTemplate", "at least one container");
    refused("template: {spec: {containers: \"app\"}}", "InvalidTemplate", "spec.template");
    refused("sites: [a]\n" + TEMPLATE, "InvalidField", "spec.sites");
  }
}
