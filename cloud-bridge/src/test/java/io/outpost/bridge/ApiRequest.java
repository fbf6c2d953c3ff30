package io.outpost.bridge;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What the API server's authorizer sees of one HTTP request (as kube-apiserver's request-info resolver derives it):
 * verb, API group, resource, subresource, namespace and name. Requests outside {@code /api} and {@code /apis} are
 * non-resource requests and yield empty.
 */
public record ApiRequest(String verb, String group, String resource, String subresource, String namespace, String name) {

  static Optional<ApiRequest> of(String method, URI uri) {
    List<String> parts = Arrays.stream(uri.getRawPath().split("/")).filter(s -> !s.isEmpty()).toList();
    String group;
    List<String> rest;
    if (parts.size() >= 3 && parts.get(0).equals("api")) {
      group = "";
      rest = parts.subList(2, parts.size());
    } else if (parts.size() >= 4 && parts.get(0).equals("apis")) {
      group = parts.get(1);
      rest = parts.subList(3, parts.size());
    } else {
      return Optional.empty(); // discovery (/api, /apis/<group>/<version>), /version, /healthz, ...
    }
    String namespace = null;
    if (rest.get(0).equals("namespaces") && rest.size() >= 3) {
      namespace = rest.get(1);
      rest = rest.subList(2, rest.size());
    } else if (rest.get(0).equals("namespaces") && rest.size() == 2) {
      namespace = rest.get(1); // the namespace object itself
    }
    String resource = rest.get(0);
    String name = rest.size() > 1 ? rest.get(1) : null;
    String subresource = rest.size() > 2 ? String.join("/", rest.subList(2, rest.size())) : null;
    return Optional.of(new ApiRequest(verb(method, name, uri.getRawQuery()), group, resource, subresource, namespace,
        name));
  }

  private static String verb(String method, String name, String query) {
    boolean watch = query != null && Arrays.stream(query.split("&"))
        .anyMatch(p -> p.equals("watch=true") || p.equals("watch=1"));
    return switch (method.toUpperCase(java.util.Locale.ROOT)) {
      case "GET", "HEAD" -> watch ? "watch" : name == null ? "list" : "get";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> name == null ? "deletecollection" : "delete";
      default -> method.toLowerCase(java.util.Locale.ROOT);
    };
  }

  /** {@code resource} or {@code resource/subresource}, as RBAC rules name it. */
  String qualifiedResource() {
    return subresource == null ? resource : resource + "/" + subresource;
  }

  /** In the words kube-apiserver uses when it refuses a request. */
  String describeDenial(String user) {
    String what = group.isEmpty() ? resource : resource + "." + group;
    return what + (name == null ? "" : " \"" + name + "\"") + " is forbidden: User \"" + user + "\" cannot " + verb
        + " resource \"" + qualifiedResource() + "\" in API group \"" + group + "\""
        + (namespace == null ? " at the cluster scope" : " in the namespace \"" + namespace + "\"");
  }
}
