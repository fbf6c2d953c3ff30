package io.outpost.bench;

import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.CrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.lang.reflect.Field;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * fabric8's CRUD mock API with one change for the scale harness: looking an object up by name (creates, updates,
 * patches, deletes and single-object GETs) goes through an index instead of scanning every stored object. The stock dispatcher scans its whole store for every create, update,
 * patch and delete, so a store of 110,000 objects makes each write cost ~100 ms of mock CPU — the mock, not the
 * bridge, would be what is measured. Semantics are unchanged: the index only narrows the candidates, and every
 * candidate is still checked with the dispatcher's own {@link AttributeSet#matches}. Benchmarks only.
 */
final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {
  private final Map<String, List<AttributeSet>> byName = new HashMap<>();
  /** Requests served, by verb and resource ({@code patch nodes/status}, {@code list pods}, ...). */
  private final Map<String, java.util.concurrent.atomic.LongAdder> requests =
      new java.util.concurrent.ConcurrentHashMap<>();

  IndexedCrudDispatcher() {
    replaceStore();
  }

  /** The dispatcher's store, a synchronized map whose writes also maintain {@link #byName}. */
  private void replaceStore() {
    Map<AttributeSet, String> indexing = Collections.synchronizedMap(new LinkedHashMap<>() {
      @Override
      public String put(AttributeSet key, String value) {
        String old = super.put(key, value);
        if (old == null) {
          String name = nameKey(key);
          if (name != null) {
            byName.computeIfAbsent(name, n -> new ArrayList<>(1)).add(key);
          }
        }
        return old;
      }

      @Override
      public String remove(Object key) {
        String old = super.remove(key);
        if (old != null && key instanceof AttributeSet set) {
          String name = nameKey(set);
          List<AttributeSet> sets = name == null ? null : byName.get(name);
          if (sets != null) {
            sets.remove(set);
            if (sets.isEmpty()) {
              byName.remove(name);
            }
          }
        }
        return old;
      }

      @Override
      public void clear() {
        super.clear();
        byName.clear();
      }
    });
    try {
      Field field = CrudDispatcher.class.getDeclaredField("map");
      field.setAccessible(true);
      field.set(this, indexing);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this fabric8 mock version has no replaceable store", e);
    }
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    requests.computeIfAbsent(verbAndResource(request.getMethod(), request.getPath()),
        k -> new java.util.concurrent.atomic.LongAdder()).increment();
    return super.dispatch(request);
  }

  /** The requests served so far, by verb and resource. */
  Map<String, Long> requests() {
    Map<String, Long> copy = new java.util.TreeMap<>();
    requests.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  /**
   * The Kubernetes verb and resource of a request, as the API server's audit log names them: {@code get}, {@code
   * list}, {@code watch}, {@code create}, {@code update}, {@code patch}, {@code delete}, and {@code plural} or {@code
   * plural/subresource}.
   */
  static String verbAndResource(String method, String path) {
    String plain = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    String query = path.contains("?") ? path.substring(path.indexOf('?') + 1) : "";
    List<String> parts = new ArrayList<>(List.of(plain.replaceAll("^/+", "").split("/")));
    int skip = parts.isEmpty() ? 0 : "api".equals(parts.get(0)) ? 2 : "apis".equals(parts.get(0)) ? 3 : 0;
    parts = parts.subList(Math.min(skip, parts.size()), parts.size());
    if (parts.size() >= 3 && "namespaces".equals(parts.get(0))) {
      parts = parts.subList(2, parts.size());
    }
    String resource = parts.isEmpty() ? plain : parts.get(0) + (parts.size() > 2 ? "/" + parts.get(2) : "");
    boolean named = parts.size() > 1;
    String verb = switch (method) {
      case "GET" -> query.contains("watch=true") || query.contains("watch=1") ? "watch" : named ? "get" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> named ? "delete" : "deletecollection";
      default -> method.toLowerCase(java.util.Locale.ROOT);
    };
    return verb + " " + resource;
  }

  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    String name = nameKey(query);
    if (name == null) {
      return super.findResource(query);
    }
    synchronized (map) {
      for (AttributeSet candidate : byName.getOrDefault(name, List.of())) {
        if (candidate.matches(query)) {
          return new AbstractMap.SimpleImmutableEntry<>(candidate, map.get(candidate));
        }
      }
      return null;
    }
  }

  /**
   * A GET of one object by name through the index; lists, watches and subresources go to the stock dispatcher.
   * A miss answers 404 like the stock one, without scanning.
   */
  @Override
  public MockResponse handleGet(String path) {
    String plain = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    AttributeSet query = attributeExtractor.fromPath(path);
    if (path.contains("watch") || plain.endsWith("/status") || nameKey(query) == null) {
      return super.handleGet(path);
    }
    Map.Entry<AttributeSet, String> found = findResource(query);
    if (found == null) {
      return new MockResponse().setResponseCode(404).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
          + "\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404,\"message\":\"" + plain
          + " not found\"}");
    }
    return new MockResponse().setResponseCode(200).setBody(found.getValue());
  }

  /** {@code plural/name}, or null if the set names no single object. */
  private static String nameKey(AttributeSet set) {
    String plural = value(set.getAttribute(KubernetesAttributesExtractor.PLURAL));
    String name = value(set.getAttribute(KubernetesAttributesExtractor.NAME));
    return plural == null || name == null ? null : plural + "/" + name;
  }

  private static String value(Attribute attribute) {
    return attribute == null || attribute.getValues().size() != 1 ? null : attribute.getValues().get(0).toString();
  }
}
