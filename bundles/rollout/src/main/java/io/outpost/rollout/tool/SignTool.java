package io.outpost.rollout.tool;

import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.ArtifactSignatures;
import io.outpost.rollout.impl.ChunkAssembler;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The operator's signing tool for gateway artifacts, run where the private key lives (never on a node):
 * <pre>
 *   java -jar outpost-rollout.jar keygen &lt;key-id&gt; [dir]
 *       writes &lt;dir&gt;/&lt;key-id&gt;.key (PKCS#8, mode 600) and prints the line nodes trust it by
 *       (trusted.keys in etc/io.outpost.rollout.cfg)
 *   java -jar outpost-rollout.jar sign --key &lt;file.key&gt; --key-id &lt;id&gt; --type bundle|feature
 *       --name &lt;symbolic name or feature&gt; --version &lt;version&gt; &lt;artifact file&gt;
 *       prints the signed manifest (YAML)
 * </pre>
 * Exit status 0 on success, 2 on a usage error (the reason on standard error).
 */
public final class SignTool {
  private SignTool() {}

  public static void main(String[] args) {
    System.exit(run(List.of(args), System.out, System.err));
  }

  static int run(List<String> args, PrintStream out, PrintStream err) {
    try {
      if (args.isEmpty()) {
        throw new IllegalArgumentException("usage: keygen <key-id> [dir] | sign --key <file> --key-id <id> --type"
            + " bundle|feature --name <name> --version <version> <artifact>");
      }
      switch (args.get(0)) {
        case "keygen" -> keygen(args.subList(1, args.size()), out);
        case "sign" -> sign(args.subList(1, args.size()), out);
        default -> throw new IllegalArgumentException("unknown command " + args.get(0) + " (keygen, sign)");
      }
      return 0;
    } catch (IllegalArgumentException | IOException e) {
      err.println("outpost-rollout: " + e.getMessage());
      return 2;
    }
  }

  private static void keygen(List<String> args, PrintStream out) throws IOException {
    if (args.isEmpty() || args.size() > 2 || !ArtifactManifest.isKeyId(args.get(0))) {
      throw new IllegalArgumentException("keygen <key-id> [dir]: a key id is lower-case letters, digits and dashes");
    }
    String id = args.get(0);
    Path file = Path.of(args.size() == 2 ? args.get(1) : ".").resolve(id + ".key");
    String[] pair = ArtifactSignatures.newKeyPair();
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException e) {
      throw new IllegalArgumentException(file + " exists: a key is never overwritten");
    }
    Files.writeString(file, pair[1] + "\n", StandardCharsets.US_ASCII);
    out.println("# private key: " + file.toAbsolutePath() + " (keep it off the nodes)");
    out.println("# nodes trust it with this entry in trusted.keys (etc/io.outpost.rollout.cfg):");
    out.println(id + "=" + pair[0]);
  }

  private static void sign(List<String> args, PrintStream out) throws IOException {
    Map<String, String> options = new HashMap<>();
    String artifact = null;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.startsWith("--")) {
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException(arg + " needs a value");
        }
        options.put(arg.substring(2), args.get(++i));
      } else if (artifact == null) {
        artifact = arg;
      } else {
        throw new IllegalArgumentException("one artifact file only, not also " + arg);
      }
    }
    for (String required : List.of("key", "key-id", "type", "name", "version")) {
      if (!options.containsKey(required)) {
        throw new IllegalArgumentException("sign needs --" + required);
      }
    }
    if (artifact == null || !Files.isRegularFile(Path.of(artifact))) {
      throw new IllegalArgumentException("sign needs the artifact file (" + artifact + " is none)");
    }
    Path file = Path.of(artifact);
    ArtifactManifest manifest = ArtifactSignatures.sign(ArtifactManifest.unsigned(options.get("type"),
        options.get("name"), options.get("version"), Files.size(file), ChunkAssembler.sha256(file),
        options.get("key-id")), Files.readString(Path.of(options.get("key"))));
    out.println("artifact:");
    out.println("  type: " + manifest.type());
    out.println("  name: " + manifest.name());
    out.println("  version: \"" + manifest.version() + "\"");
    out.println("  size: " + manifest.size());
    out.println("  sha256: " + manifest.sha256());
    out.println("  keyId: " + manifest.keyId());
    out.println("  signature: " + manifest.signature());
  }
}
