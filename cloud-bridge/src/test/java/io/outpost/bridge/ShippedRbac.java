package io.outpost.bridge;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.testing.Project;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The RBAC objects of the shipped manifests ({@code deploy/kubernetes/*.yaml}) evaluated as kube-apiserver's RBAC
 * authorizer does for one ServiceAccount: Roles bound by RoleBindings grant in their namespace, ClusterRoles bound
 * by a RoleBinding in its namespace and by a ClusterRoleBinding everywhere; a rule matches on API group, resource
 * (or {@code resource/subresource}), verb and, when it lists them, resource names; {@code *} matches anything.
 * Non-resource requests are allowed only for the discovery paths every authenticated user may read
 * ({@code system:discovery}, {@code system:public-info-viewer}).
 */
public final class ShippedRbac {
  public static final String BRIDGE_NAMESPACE = "outpost-system";
  public static final String BRIDGE_ACCOUNT = "outpost-bridge";

  /** A rule granted in one namespace, or cluster-wide ({@code namespace} null). */
  private record Grant(String namespace, PolicyRule rule) {}

  private final String user;
  private final List<Grant> grants;

  private ShippedRbac(String user, List<Grant> grants) {
    this.user = user;
    this.grants = List.copyOf(grants);
  }

  /** The bridge's ServiceAccount under the manifests in {@code deploy/kubernetes}. */
  static ShippedRbac bridge(KubernetesClient parser) {
    return load(parser, Project.root().resolve("deploy/kubernetes"), BRIDGE_NAMESPACE, BRIDGE_ACCOUNT);
  }

  /** The ServiceAccount {@code namespace/name} under every manifest in {@code dir}. */
  static ShippedRbac load(KubernetesClient parser, Path dir, String namespace, String name) {
    return of(manifests(parser, dir), namespace, name);
  }

  /** The shipped manifests' objects, {@code deploy/kubernetes/*.yaml} in file order. */
  public static List<HasMetadata> manifests(KubernetesClient parser) {
    return manifests(parser, Project.root().resolve("deploy/kubernetes"));
  }

  private static List<HasMetadata> manifests(KubernetesClient parser, Path dir) {
    List<HasMetadata> objects = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          objects.addAll(parser.load(in).items());
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot read the manifests in " + dir, e);
    }
    return objects;
  }

  public static ShippedRbac of(List<HasMetadata> objects, String namespace, String name) {
    Map<String, List<PolicyRule>> roles = new java.util.HashMap<>();
    Map<String, List<PolicyRule>> clusterRoles = new java.util.HashMap<>();
    for (HasMetadata object : objects) {
      if (object instanceof Role role) {
        roles.put(role.getMetadata().getNamespace() + "/" + role.getMetadata().getName(), role.getRules());
      } else if (object instanceof ClusterRole role) {
        clusterRoles.put(role.getMetadata().getName(), role.getRules());
      }
    }
    List<Grant> grants = new ArrayList<>();
    for (HasMetadata object : objects) {
      if (object instanceof RoleBinding binding && binds(binding.getSubjects(), namespace, name)) {
        String where = binding.getMetadata().getNamespace();
        rules(binding.getRoleRef(), where, roles, clusterRoles).forEach(rule -> grants.add(new Grant(where, rule)));
      } else if (object instanceof ClusterRoleBinding binding && binds(binding.getSubjects(), namespace, name)) {
        rules(binding.getRoleRef(), null, roles, clusterRoles).forEach(rule -> grants.add(new Grant(null, rule)));
      }
    }
    return new ShippedRbac("system:serviceaccount:" + namespace + ":" + name, grants);
  }

  private static boolean binds(List<Subject> subjects, String namespace, String name) {
    return subjects != null && subjects.stream().anyMatch(s -> "ServiceAccount".equals(s.getKind())
        && name.equals(s.getName()) && namespace.equals(s.getNamespace()));
  }

  private static List<PolicyRule> rules(RoleRef ref, String bindingNamespace, Map<String, List<PolicyRule>> roles,
      Map<String, List<PolicyRule>> clusterRoles) {
    List<PolicyRule> rules = "Role".equals(ref.getKind()) ? roles.get(bindingNamespace + "/" + ref.getName())
        : clusterRoles.get(ref.getName());
    return rules == null ? List.of() : rules; // a binding to a missing role grants nothing, as in Kubernetes
  }

  String user() {
    return user;
  }

  /** Why the request is refused, in the API server's words, or empty if a rule allows it. */
  Optional<String> deny(String method, java.net.URI uri) {
    Optional<ApiRequest> request = ApiRequest.of(method, uri);
    if (request.isEmpty()) {
      return DISCOVERY.stream().anyMatch(uri.getRawPath()::startsWith) && method.equalsIgnoreCase("GET")
          ? Optional.empty() : Optional.of("forbidden: User \"" + user + "\" cannot " + method.toLowerCase(
              java.util.Locale.ROOT) + " path \"" + uri.getRawPath() + "\"");
    }
    return allows(request.get()) ? Optional.empty() : Optional.of(request.get().describeDenial(user));
  }

  private static final Set<String> DISCOVERY = Set.of("/api", "/apis", "/version", "/openapi", "/healthz",
      "/livez", "/readyz");

  boolean allows(ApiRequest request) {
    return grants.stream().anyMatch(grant -> (grant.namespace() == null || grant.namespace().equals(
        request.namespace())) && matches(grant.rule(), request));
  }

  private static boolean matches(PolicyRule rule, ApiRequest request) {
    return matchesAny(rule.getApiGroups(), request.group())
        && (matchesAny(rule.getResources(), request.qualifiedResource())
            || (request.subresource() != null && rule.getResources() != null
                && rule.getResources().contains("*/" + request.subresource())))
        && matchesAny(rule.getVerbs(), request.verb())
        && (rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
            || (request.name() != null && rule.getResourceNames().contains(request.name())));
  }

  private static boolean matchesAny(List<String> values, String wanted) {
    return values != null && (values.contains("*") || values.contains(wanted));
  }
}
