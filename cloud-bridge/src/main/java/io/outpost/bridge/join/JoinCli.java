package io.outpost.bridge.join;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.identity.CertificateAuthority;
import io.outpost.identity.Pki;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The bridge's operator commands ({@code java -jar outpost-cloud-bridge-*-all.jar <command>}), with the same
 * {@code OUTPOST_*} settings as the bridge (at least {@code OUTPOST_CA_DIR}) and the same Kubernetes access:
 * <pre>
 * token create &lt;node&gt; [--ttl 1h] [--bridge https://host:9443] [--site &lt;site&gt; [--region &lt;region&gt;]]
 *                                                             a one-time join token for one node (of that site)
 * token list | token revoke &lt;id&gt;
 * node revoke &lt;node&gt;                                          no renewal, no rejoin, serials into the CRL
 * ca fingerprint                                              what nodes pin (sha256:…)
 * crl &lt;file&gt;                                                  the CRL for Mosquitto's crlfile
 * issue-server &lt;dir&gt; &lt;name&gt;[,&lt;name&gt;…]                         broker key + certificate (server.key/.crt, ca.crt)
 * </pre>
 */
public final class JoinCli {
  /**
   * How long a written CRL stays valid. Brokers refuse every client once their CRL's nextUpdate has passed, so it
   * is long; a new one is written after every revocation anyway.
   */
  static final Duration CRL_VALIDITY = Duration.ofDays(3650);

  private JoinCli() {}

  /** Runs one command; returns the process exit code (0 ok, 1 refused, 2 usage). */
  public static int run(List<String> args, Map<String, String> settings, KubernetesClient client, PrintStream out,
      PrintStream err) throws IOException {
    Onboarding onboarding;
    try {
      onboarding = Onboarding.from(settings, client);
    } catch (IllegalArgumentException e) {
      err.println("outpost-bridge: " + e.getMessage());
      return 2;
    }
    if (onboarding == null) {
      err.println("outpost-bridge: set OUTPOST_CA_DIR to the bridge's CA directory");
      return 2;
    }
    String command = String.join(" ", args.subList(0, Math.min(2, args.size())));
    try {
      switch (command) {
        case "token create" -> {
          String node = argument(args, 2, "node name");
          Duration ttl = Duration.parse("PT" + option(args, "--ttl", "1h").toUpperCase(java.util.Locale.ROOT));
          JoinTokens.Token token = onboarding.tokens().create(node, ttl, option(args, "--site", null),
              option(args, "--region", null));
          String bridge = option(args, "--bridge", "https://<bridge-address>:9443");
          out.println("token: " + token.value());
          out.println("expires: " + token.expires());
          if (token.site() != null) {
            out.println("site: " + token.site() + (token.region() == null ? "" : " (region " + token.region() + ")"));
          }
          out.println("on the node (Karaf console): outpost:join " + bridge + " " + token.value() + " "
              + onboarding.ca().fingerprint());
        }
        case "token list" -> onboarding.tokens().list().forEach(t -> out.printf("%s  %-30s expires %s  %s%s%n",
            t.id(), t.node(), t.expires(), t.usedAt() == null ? "unused" : "used " + t.usedAt(),
            t.site() == null ? "" : "  site " + t.site() + (t.region() == null ? "" : "/" + t.region())));
        case "token revoke" -> {
          if (!onboarding.tokens().revoke(argument(args, 2, "token id"))) {
            err.println("no such token");
            return 1;
          }
          out.println("revoked");
        }
        case "node revoke" -> {
          String node = argument(args, 2, "node name");
          onboarding.certificates().revoke(node);
          out.println("node " + node + " revoked; regenerate the broker's CRL (crl <file>) if it reads one");
        }
        case "ca fingerprint" -> out.println(onboarding.ca().fingerprint());
        default -> {
          if (args.size() >= 2 && args.get(0).equals("crl")) {
            CertificateAuthority.writeAtomically(Path.of(args.get(1)), Pki.pem(onboarding.ca().crl(
                onboarding.certificates().revokedSerials(), CRL_VALIDITY)));
            out.println("wrote " + args.get(1));
          } else if (args.size() >= 3 && args.get(0).equals("issue-server")) {
            Path dir = Path.of(args.get(1));
            KeyPair keys = Pki.newKeyPair();
            java.nio.file.Files.createDirectories(dir);
            CertificateAuthority.writeSecret(dir.resolve("server.key"), Pki.pem(keys.getPrivate()));
            CertificateAuthority.writeAtomically(dir.resolve("server.crt"), Pki.pem(onboarding.ca().issueServer(
                "outpost-broker", keys.getPublic(), Arrays.asList(args.get(2).split(",")), Duration.ofDays(825))));
            CertificateAuthority.writeAtomically(dir.resolve("ca.crt"), Pki.pem(onboarding.ca().certificate()));
            out.println("wrote server.key, server.crt and ca.crt to " + dir);
          } else {
            err.println("usage: token create <node> [--ttl 1h] [--bridge URL] [--site S [--region R]] | token list | token revoke <id>"
                + " | node revoke <node> | ca fingerprint | crl <file> | issue-server <dir> <names>");
            return 2;
          }
        }
      }
      return 0;
    } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
      err.println("outpost-bridge: " + e.getMessage());
      return 2;
    }
  }

  private static String argument(List<String> args, int index, String what) {
    if (args.size() <= index || args.get(index).startsWith("--")) {
      throw new IllegalArgumentException("missing " + what);
    }
    return args.get(index);
  }

  private static String option(List<String> args, String name, String fallback) {
    int at = args.indexOf(name);
    return at >= 0 && at + 1 < args.size() ? args.get(at + 1) : fallback;
  }
}
