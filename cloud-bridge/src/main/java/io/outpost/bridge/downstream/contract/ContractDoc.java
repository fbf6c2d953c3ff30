package io.outpost.bridge.downstream.contract;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Renders the {@link PodSpecContract} as docs/podspec-contract.md. The committed file must equal what this renders
 * (PodSpecContractDocTest); regenerate it with {@code mvn -pl cloud-bridge test -Dtest=PodSpecContractDocTest
 * -Dcontract.write=true}, or run {@link #main} with the file's path.
 */
public final class ContractDoc {
  private ContractDoc() {}

  /** Writes the document to {@code args[0]} (default {@code docs/podspec-contract.md}). */
  public static void main(String[] args) throws IOException {
    Path file = Path.of(args.length > 0 ? args[0] : "docs/podspec-contract.md");
    Files.writeString(file, render(PodSpecContract.get()), StandardCharsets.UTF_8);
  }

  public static String render(PodSpecContract contract) {
    StringBuilder md = new StringBuilder();
    md.append("# PodSpec contract: what an edge node does with every field\n\n")
        .append("<!-- Generated from cloud-bridge/src/main/java/io/outpost/bridge/downstream/contract"
            + " (PodSpecContract).\n     Do not edit: change the contract and run\n"
            + "     mvn -pl cloud-bridge test -Dtest=PodSpecContractDocTest -Dcontract.write=true -->\n\n")
        .append("An edge node stands in for a kubelet. Every field of a pod's `spec` is **HONOURED** (the node"
            + " does what a kubelet does), **REFUSED** (a pod that sets it, or sets it to the values named, is"
            + " not started: its containers wait in `CreateContainerConfigError` with the message `pod spec not"
            + " supported on this node: <field>: <reason>`, a `Failed` warning Event, and the bridge's admission"
            + " webhook warns when the pod is created) or **NOT_APPLICABLE** (the scheduler's or the API"
            + " server's business, as on any node). A test walks the bridge's Kubernetes model (fabric8) so"
            + " that a field a newer Kubernetes adds fails the build until it is classified here; a field the"
            + " model does not know at all (a newer API server's) is refused as `a field this bridge does not"
            + " know`.\n\n")
        .append("Security settings and host namespaces are carried field by field and judged by the node's"
            + " security admission (docs/operations.md, \"Pod security\"): their rows say what it does.\n\n")
        .append("Rows apply to the paths below them, and rows of one path also to its aliases unless a row"
            + " names the alias itself:\n\n");
    for (Map.Entry<String, String> alias : contract.aliases().entrySet()) {
      md.append("- `").append(alias.getKey()).append("` follows `").append(alias.getValue()).append("`\n");
    }
    md.append("\n| Field | Verdict | Refused when | Reason (refused) or what the node does |\n|---|---|---|---|\n");
    for (Rule rule : contract.rules()) {
      md.append("| `").append(rule.path()).append(rule.subtree() ? "` and below | " : "` | ")
          .append(rule.verdict()).append(" | ").append(escape(when(rule)))
          .append(rule.delegatedTo() != null && !when(rule).isEmpty() ? " (the node judges)" : "").append(" | ")
          .append(escape(rule.reason())).append(rule.newerThanModel() ? " (not in the bridge's model: read"
              + " from the API server's JSON)" : "").append(" |\n");
    }
    return md.toString();
  }

  private static String when(Rule rule) {
    if (rule.refusedWhen() != null) {
      return rule.refusedWhen();
    }
    if (rule.verdict() != Verdict.REFUSED) {
      return "";
    }
    return "set";
  }

  private static String escape(String text) {
    return text.replace("|", "\\|");
  }
}
