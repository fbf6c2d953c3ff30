package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.protocol.SecretV1;
import io.outpost.store.DesiredState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Registry credentials for an image from a pod's {@code imagePullSecrets}, the way the kubelet's keyring finds them:
 * secrets of type {@code kubernetes.io/dockerconfigjson} ({@code .dockerconfigjson}, {@code {"auths": {...}}}) or
 * {@code kubernetes.io/dockercfg} ({@code .dockercfg}); an entry matches when its host (a leading {@code *.} matches
 * one label) and port equal the image's registry and its path is a prefix of the image's repository; the most
 * specific entry wins. Docker Hub's names ({@code docker.io}, {@code index.docker.io}, {@code
 * registry-1.docker.io}, {@code https://index.docker.io/v1/}) are one registry. Read only from the edge store, so a
 * node pulls with them while offline. Credentials are never logged.
 */
final class PullSecrets {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DOCKER_HUB = "docker.io";

  private final DesiredState store;

  PullSecrets(DesiredState store) {
    this.store = store;
  }

  /** Credentials for one registry. {@code toString} hides the secret parts. */
  record Credentials(String registry, String username, String password, String identityToken) {
    @Override
    public String toString() {
      return "Credentials[registry=" + registry + ", username=" + username + "]";
    }
  }

  /** The credentials to pull {@code image} with (empty: pull anonymously) and the secrets that were missing. */
  record Lookup(Optional<Credentials> credentials, List<String> missing, List<String> unreadable) {}

  Lookup find(String namespace, List<String> secretNames, String image) {
    List<String> missing = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    List<Entry> matching = new ArrayList<>();
    Registry target = Registry.ofImage(image);
    for (String name : secretNames == null ? List.<String>of() : secretNames) {
      Optional<SecretV1> secret = store.secret(namespace, name);
      if (secret.isEmpty()) {
        missing.add(name);
        continue;
      }
      try {
        for (Entry entry : entries(secret.get())) {
          if (entry.key.matches(target)) {
            matching.add(entry);
          }
        }
      } catch (IOException | IllegalArgumentException e) {
        unreadable.add(name + " (" + e.getMessage() + ")");
      }
    }
    // Most specific first; among equals the first listed secret wins (the sort is stable).
    matching.sort(Comparator.comparingInt((Entry e) -> e.key.specificity()).reversed());
    return new Lookup(matching.stream().findFirst().map(e -> e.credentials), missing, unreadable);
  }

  private record Entry(Registry key, Credentials credentials) {}

  private static List<Entry> entries(SecretV1 secret) throws IOException {
    String json = secret.text(".dockerconfigjson");
    JsonNode auths;
    if (json != null) {
      auths = JSON.readTree(json).path("auths");
    } else {
      json = secret.text(".dockercfg");
      if (json == null) {
        throw new IllegalArgumentException("no .dockerconfigjson or .dockercfg key");
      }
      auths = JSON.readTree(json);
    }
    if (!auths.isObject()) {
      throw new IllegalArgumentException("no registry entries");
    }
    List<Entry> entries = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      JsonNode value = field.getValue();
      String username = text(value, "username");
      String password = text(value, "password");
      String auth = text(value, "auth");
      if ((username == null || password == null) && auth != null) {
        String decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        if (colon < 0) {
          throw new IllegalArgumentException("entry '" + field.getKey() + "': auth is not user:password");
        }
        username = decoded.substring(0, colon);
        password = decoded.substring(colon + 1);
      }
      Registry key = Registry.ofKey(field.getKey());
      entries.add(new Entry(key, new Credentials(key.address(), username, password,
          text(value, "identitytoken"))));
    }
    return entries;
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() || value.asText().isEmpty() ? null : value.asText();
  }

  /** A registry host[:port] with an optional repository path prefix. */
  record Registry(String host, String path) {

    static Registry ofImage(String image) {
      String name = image;
      int digest = name.indexOf('@');
      if (digest >= 0) {
        name = name.substring(0, digest);
      }
      int slash = name.indexOf('/');
      String first = slash < 0 ? "" : name.substring(0, slash);
      boolean hasRegistry = first.contains(".") || first.contains(":") || first.equals("localhost");
      String host = hasRegistry ? first : DOCKER_HUB;
      String repository = hasRegistry ? name.substring(slash + 1) : name;
      int colon = repository.lastIndexOf(':');
      if (colon >= 0) {
        repository = repository.substring(0, colon); // the tag
      }
      if (host.equals(DOCKER_HUB) && !repository.contains("/")) {
        repository = "library/" + repository;
      }
      return new Registry(normalHost(host), repository);
    }

    static Registry ofKey(String key) {
      String rest = key.trim();
      int scheme = rest.indexOf("://");
      if (scheme >= 0) {
        rest = rest.substring(scheme + 3);
      }
      int slash = rest.indexOf('/');
      String host = slash < 0 ? rest : rest.substring(0, slash);
      String path = slash < 0 ? "" : rest.substring(slash + 1);
      while (path.endsWith("/")) {
        path = path.substring(0, path.length() - 1);
      }
      host = normalHost(host);
      if (host.isEmpty()) {
        throw new IllegalArgumentException("entry '" + key + "' names no registry");
      }
      if (host.equals(DOCKER_HUB) && (path.equals("v1") || path.equals("v2"))) {
        path = ""; // https://index.docker.io/v1/ is Docker Hub as a whole
      }
      return new Registry(host, path);
    }

    private static String normalHost(String host) {
      String h = host.toLowerCase(Locale.ROOT);
      return h.equals("index.docker.io") || h.equals("registry-1.docker.io") ? DOCKER_HUB : h;
    }

    /** True if this key covers {@code image}. */
    boolean matches(Registry image) {
      if (!hostMatches(host, image.host)) {
        return false;
      }
      return path.isEmpty() || image.path.equals(path) || image.path.startsWith(path + "/");
    }

    private static boolean hostMatches(String pattern, String host) {
      String[] p = pattern.split(":", 2);
      String[] h = host.split(":", 2);
      if (p.length != h.length || (p.length == 2 && !p[1].equals(h[1]))) {
        return false;
      }
      String[] patternLabels = p[0].split("\\.");
      String[] hostLabels = h[0].split("\\.");
      if (patternLabels.length != hostLabels.length) {
        return false;
      }
      for (int i = 0; i < patternLabels.length; i++) {
        if (!patternLabels[i].equals("*") && !patternLabels[i].equals(hostLabels[i])) {
          return false;
        }
      }
      return true;
    }

    int specificity() {
      return host.length() + path.length() + (host.contains("*") ? 0 : 1000);
    }

    /** The registry address the engine gets with the credentials. */
    String address() {
      return host.equals(DOCKER_HUB) ? "https://index.docker.io/v1/" : host;
    }
  }
}
