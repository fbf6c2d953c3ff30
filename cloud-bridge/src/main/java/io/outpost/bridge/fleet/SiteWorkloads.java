package io.outpost.bridge.fleet;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;
import java.util.Optional;

/**
 * The {@code outpost.io/v1alpha1} SiteWorkload resource ({@code deploy/kubernetes/06-fleet-crds.yaml}) as the fleet
 * controller reads it (a generic resource, named in full so that no discovery is needed), and the marks its copies
 * carry: the owner label and a controller owner reference.
 */
public final class SiteWorkloads {
  public static final String GROUP = "outpost.io";
  public static final String VERSION = "v1alpha1";
  public static final String KIND = "SiteWorkload";
  public static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder().withGroup(GROUP)
      .withVersion(VERSION).withKind(KIND).withPlural("siteworkloads").withNamespaced(true).build();
  /** On every copy (and its pods): the owning SiteWorkload's name (as a label value, see {@link CopyNames}). */
  public static final String OWNER_LABEL = "outpost.io/site-workload";
  /** On every copy: a digest of what was stamped; a copy whose digest matches needs no write. */
  static final String STAMP_ANNOTATION = "outpost.io/site-workload-stamp";

  private SiteWorkloads() {}

  /** The reference every copy carries: controller, and blocking the owner's foreground deletion. */
  static OwnerReference ownerReference(HasMetadata owner) {
    return new OwnerReferenceBuilder().withApiVersion(GROUP + "/" + VERSION).withKind(KIND)
        .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
        .withController(true).withBlockOwnerDeletion(true).build();
  }

  /** The copy's controlling SiteWorkload reference, if it has one. */
  static Optional<OwnerReference> controller(HasMetadata copy) {
    List<OwnerReference> references = copy.getMetadata().getOwnerReferences();
    if (references == null) {
      return Optional.empty();
    }
    return references.stream().filter(r -> Boolean.TRUE.equals(r.getController()) && KIND.equals(r.getKind())
        && r.getApiVersion() != null && r.getApiVersion().startsWith(GROUP + "/")).findFirst();
  }

  /** {@code namespace/name} of the SiteWorkload controlling the copy, or empty. */
  static Optional<String> ownerKey(HasMetadata copy) {
    return controller(copy).map(r -> copy.getMetadata().getNamespace() + "/" + r.getName());
  }
}
