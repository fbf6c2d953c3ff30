package io.outpost.architecture;

import com.tngtech.archunit.core.domain.JavaClass;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;

/**
 * Which edge bundle a compiled class belongs to and which packages that bundle exports, read from the OSGi manifest
 * bnd wrote beside the class (the bundle's jar, or {@code target/classes/META-INF/MANIFEST.MF} in a reactor build):
 * the rules follow the bundles as they are built, not a hand-kept list.
 */
final class EdgeBundles {

  /** A bundle: its symbolic name and the packages it exports (its API; every other package is private). */
  record Bundle(String symbolicName, Set<String> exports) {
    boolean exports(String packageName) {
      return exports.contains(packageName);
    }
  }

  private final Map<URI, Optional<Bundle>> byRoot = new HashMap<>();

  /** The bundle of {@code type}, or empty when the class has no code source or no bundle manifest beside it. */
  Optional<Bundle> of(JavaClass type) {
    return type.getSource().flatMap(source -> {
      URI uri = source.getUri();
      URI root = root(uri, type);
      return byRoot.computeIfAbsent(root, r -> read(r));
    });
  }

  private static URI root(URI classFile, JavaClass type) {
    String text = classFile.toString();
    if (text.startsWith("jar:")) {
      return URI.create(text.substring("jar:".length(), text.indexOf("!/")));
    }
    String suffix = type.getName().replace('.', '/') + ".class";
    if (!text.endsWith(suffix)) {
      throw new IllegalStateException("class file " + text + " does not end with " + suffix);
    }
    return URI.create(text.substring(0, text.length() - suffix.length()));
  }

  private static Optional<Bundle> read(URI root) {
    Path path = Path.of(root);
    try {
      Manifest manifest;
      if (Files.isDirectory(path)) {
        Path file = path.resolve("META-INF/MANIFEST.MF");
        if (!Files.exists(file)) {
          return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(file)) {
          manifest = new Manifest(in);
        }
      } else {
        try (JarFile jar = new JarFile(path.toFile())) {
          manifest = jar.getManifest();
        }
      }
      if (manifest == null) {
        return Optional.empty();
      }
      String name = manifest.getMainAttributes().getValue("Bundle-SymbolicName");
      if (name == null) {
        return Optional.empty();
      }
      return Optional.of(new Bundle(name.split(";")[0].trim(),
          packages(manifest.getMainAttributes().getValue("Export-Package"))));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the manifest of " + root, e);
    }
  }

  /** Package names of an Export-Package header; attributes and quoted versions are dropped. */
  static Set<String> packages(String header) {
    if (header == null || header.isBlank()) {
      return Set.of();
    }
    String withoutQuoted = header.replaceAll("\"[^\"]*\"", "");
    return Arrays.stream(withoutQuoted.split(","))
        .map(clause -> clause.split(";")[0].trim())
        .filter(name -> !name.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
  }
}
