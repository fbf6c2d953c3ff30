package io.outpost.network.services;

import static io.outpost.network.NetLab.in;
import static io.outpost.network.services.Objects.clusterIp;
import static io.outpost.network.services.Objects.port;
import static io.outpost.network.services.Objects.ready;
import static io.outpost.network.services.Objects.service;
import static io.outpost.network.services.Objects.slice;
import static io.outpost.network.services.Objects.slicePort;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.network.NetLab;
import io.outpost.network.site.Ipv4Range;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.store.StoredSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The changes {@link NftDelta} writes, applied by the real nft to the table in force, give exactly the table that
 * writing the next one whole gives (compared as {@code nft list table} prints them), through a sequence of the
 * changes a node sees: endpoints replaced, added and removed, a Service added and deleted, ClientIP affinity turned
 * on and off, a NodePort moved, a pod range added; and a change is a few lines, not the table.
 */
class NftDeltaNetnsTest {
  private static final List<Ipv4Range> ONE_RANGE = List.of(Ipv4Range.parse("10.244.1.0/24"));
  private static final List<Ipv4Range> TWO_RANGES = List.of(Ipv4Range.parse("10.244.1.0/24"),
      Ipv4Range.parse("10.244.2.0/24"));

  @TempDir Path dir;
  private NetLab lab;
  private String incremental;
  private String whole;

  @BeforeEach
  void namespaces() throws Exception {
    lab = new NetLab(dir);
    incremental = lab.namespace("delta");
    whole = lab.namespace("whole");
  }

  @AfterEach
  void cleanUp() {
    lab.close();
  }

  private record Step(String what, List<StoredSpec<ServiceV1>> services, List<StoredSpec<EndpointSliceV1>> slices,
      List<Ipv4Range> ranges) {}

  private static NftRuleset ruleset(Step step) {
    Plan plan = ServicePlanner.plan(new ProxyInput(step.services(), step.slices(), null, step.ranges(),
        Set.of("192.168.1.5"), ProxySettings.defaults("edge-1"), Set.of()));
    assertThat(plan.refused()).as(step.what()).isEmpty();
    return NftScript.ruleset(plan, step.ranges(), "edge-1");
  }

  private static StoredSpec<ServiceV1> web() {
    return clusterIp("default", "web", "10.96.0.10", port("http", 80, "8080"));
  }

  private static StoredSpec<ServiceV1> game(boolean affinity, int nodePort) {
    return service("games", "front", new ServiceV1("NodePort", List.of("10.96.0.20"),
        List.of(new ServiceV1.ServicePortV1("game", "UDP", 7777, "7777", nodePort)),
        affinity ? "ClientIP" : null, affinity ? 600 : null, "Cluster", null, false, null));
  }

  private static StoredSpec<EndpointSliceV1> webSlice(String... ips) {
    List<io.outpost.protocol.EndpointSliceV1.EndpointV1> endpoints = new ArrayList<>();
    for (int i = 0; i < ips.length; i++) {
      endpoints.add(ready(ips[i], "edge-" + (i % 2 + 1), "web-" + i));
    }
    return slice("default", "web-abc", "web", List.of(slicePort("http", 8080)),
        endpoints.toArray(io.outpost.protocol.EndpointSliceV1.EndpointV1[]::new));
  }

  private static StoredSpec<EndpointSliceV1> gameSlice() {
    return slice("games", "front-1", "front", List.of(new EndpointSliceV1.EndpointPortV1("game", "UDP", 7777)),
        ready("10.244.1.20", "edge-1", "front-a"), ready("10.244.2.20", "edge-2", "front-b"));
  }

  @Test
  void appliedChangesGiveTheTableThatWritingItWholeGives() throws Exception {
    List<Step> steps = List.of(
        new Step("one Service, two endpoints", List.of(web()), List.of(webSlice("10.244.1.10", "10.244.2.10")),
            ONE_RANGE),
        new Step("an endpoint replaced", List.of(web()), List.of(webSlice("10.244.1.11", "10.244.2.10")), ONE_RANGE),
        new Step("an endpoint added", List.of(web()), List.of(webSlice("10.244.1.11", "10.244.2.10", "10.244.2.12")),
            ONE_RANGE),
        new Step("a NodePort Service with affinity added, a pod range added", List.of(web(), game(true, 30777)),
            List.of(webSlice("10.244.1.11", "10.244.2.10", "10.244.2.12"), gameSlice()), TWO_RANGES),
        new Step("affinity off, NodePort moved", List.of(web(), game(false, 30778)),
            List.of(webSlice("10.244.1.11", "10.244.2.10", "10.244.2.12"), gameSlice()), TWO_RANGES),
        new Step("endpoints all gone (reject)", List.of(web(), game(false, 30778)), List.of(gameSlice()),
            TWO_RANGES),
        new Step("a Service deleted, endpoints back", List.of(web()), List.of(webSlice("10.244.1.13")), ONE_RANGE));

    NftRuleset inForce = ruleset(steps.get(0));
    in(incremental).run(inForce.script(), List.of("nft", "-f", "-"));
    for (Step step : steps.subList(1, steps.size())) {
      NftRuleset next = ruleset(step);
      String delta = NftDelta.between(inForce, next).orElseThrow(() -> new AssertionError(step.what()
          + ": no delta"));
      assertThat(delta.length()).as("%s: changes, not the table", step.what()).isLessThan(next.script().length());
      in(incremental).run(delta, List.of("nft", "-f", "-"));
      in(whole).run(next.script(), List.of("nft", "-f", "-"));
      assertThat(listed(incremental)).as(step.what()).isEqualTo(listed(whole));
      inForce = next;
    }
  }

  @Test
  void anUnchangedTableIsNoChangeAndAnEndpointChangeIsAFewLines() throws Exception {
    NftRuleset before = ruleset(new Step("before", List.of(web()), List.of(webSlice("10.244.1.10", "10.244.2.10")),
        ONE_RANGE));
    assertThat(NftDelta.between(before, before)).contains("");
    NftRuleset after = ruleset(new Step("after", List.of(web()), List.of(webSlice("10.244.1.11", "10.244.2.10")),
        ONE_RANGE));
    String delta = NftDelta.between(before, after).orElseThrow();
    assertThat(delta.lines()).as(delta).hasSizeLessThan(12)
        .anyMatch(l -> l.startsWith("add chain ip outpost ep-") && l.contains("10.244.1.11"))
        .anyMatch(l -> l.startsWith("delete chain ip outpost ep-") && l.contains("10.244.1.10"))
        .noneMatch(l -> l.startsWith("delete table"));
  }

  @Test
  void anotherNodeNameOrSetDefinitionNeedsTheWholeTable() {
    NftRuleset ours = ruleset(new Step("ours", List.of(web()), List.of(webSlice("10.244.1.10")), ONE_RANGE));
    NftRuleset renamed = new NftRuleset(ours.table(), ours.comment() + " (renamed)", ours.sets(), ours.chains());
    assertThat(NftDelta.between(ours, renamed)).isEmpty();
    List<NftRuleset.Set> sets = new ArrayList<>(ours.sets());
    NftRuleset.Set first = sets.get(0);
    sets.set(0, new NftRuleset.Set(first.kind(), first.name(), first.type(), null, null, first.elements()));
    assertThat(NftDelta.between(ours, new NftRuleset(ours.table(), ours.comment(), sets, ours.chains()))).isEmpty();
  }

  /**
   * The table as nft prints it, its sets, maps and chains sorted by name and each set's elements sorted: nft lists
   * objects in the order they were created and elements in the order they were added, which a delta changes without
   * changing what the table does. Rules keep their order (it matters).
   */
  private static String listed(String namespace) throws Exception {
    String text = in(namespace).run("nft", "list", "table", "ip", NftScript.TABLE);
    List<String> blocks = new ArrayList<>();
    StringBuilder block = new StringBuilder();
    for (String line : text.lines().toList()) {
      if (line.startsWith("\t") && !line.startsWith("\t\t") && !line.startsWith("\t}") && block.length() > 0) {
        blocks.add(block.toString());
        block.setLength(0);
      }
      String trimmed = line.strip();
      if (trimmed.startsWith("elements = { ") && trimmed.endsWith(" }")) {
        List<String> elements = new ArrayList<>(List.of(trimmed.substring(13, trimmed.length() - 2).split(", ")));
        java.util.Collections.sort(elements);
        line = "elements = { " + String.join(", ", elements) + " }";
      }
      if (!line.isBlank() && !line.equals("}") && !line.startsWith("table ")) { // the table's own lines
        block.append(line).append('\n');
      }
    }
    blocks.add(block.toString());
    java.util.Collections.sort(blocks);
    return String.join("", blocks);
  }
}
