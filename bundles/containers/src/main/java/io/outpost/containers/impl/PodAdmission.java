package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.ResourcesV1;
import io.outpost.store.StoredPod;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet's resource admission ({@code pkg/kubelet/lifecycle/predicate.go}): a pod new to this node is admitted
 * only if it fits the node's allocatable next to the pods already admitted and still active — pods first, then cpu
 * and memory requests (a pod's request is the larger of its containers' sum and its largest init container, as the
 * scheduler counts it). A pod that does not fit is refused for good: phase {@code Failed}, reason
 * {@code OutOf<resource>}, message {@code Pod was rejected: Node didn't have enough resource: …}, a Warning Event
 * with that reason, and none of its containers is ever created. A pod is decided once: one with a recorded status
 * or containers (admitted before, also by an earlier run of the node) is never judged again, so nothing running is
 * rejected when allocatable shrinks. Decisions are made on the reconciler's thread, one pod at a time, so two new
 * pods cannot both take the same room; the steps that run in parallel only read them.
 */
final class PodAdmission {
  private static final Logger LOG = LoggerFactory.getLogger(PodAdmission.class);
  static final String REJECTED_PREFIX = "Pod was rejected: ";

  /** What was decided for a pod. */
  enum Verdict { ADMITTED, REJECTED, UNDECIDED }

  private final String node;
  private final Supplier<Map<String, String>> allocatable;
  private final EventSink events;
  private final Clock clock;
  private final SecurityAdmission security;
  private final Set<String> admitted = ConcurrentHashMap.newKeySet();
  private final Map<String, PodStatusReport> rejected = new ConcurrentHashMap<>();

  /**
   * {@code allocatable} returns null when the node's allocatable is not known (no sync bundle): new pods are then
   * admitted unchecked, with a warning each.
   */
  PodAdmission(String node, Supplier<Map<String, String>> allocatable, EventSink events, Clock clock) {
    this(node, allocatable, events, clock, new SecurityAdmission(NodeSecurity.DEFAULT));
  }

  /** {@code security}: the node's security admission ({@link SecurityAdmission}), checked before resources. */
  PodAdmission(String node, Supplier<Map<String, String>> allocatable, EventSink events, Clock clock,
      SecurityAdmission security) {
    this.security = security;
    this.node = node;
    this.allocatable = allocatable;
    this.events = events;
    this.clock = clock;
  }

  /** What was decided for a pod (ADMITTED, REJECTED), or UNDECIDED. Any thread. */
  Verdict verdict(String uid) {
    return admitted.contains(uid) ? Verdict.ADMITTED : rejected.containsKey(uid) ? Verdict.REJECTED
        : Verdict.UNDECIDED;
  }

  /** The status of a rejected pod, stopped once it is being deleted (null if it was not rejected). */
  PodStatusReport rejection(String uid, boolean deleting) {
    PodStatusReport r = rejected.get(uid);
    return r == null || !deleting ? r : new PodStatusReport(r.v(), r.node(), r.ref(), r.phase(), r.reason(),
        r.message(), r.podIP(), r.hostIP(), r.startTime(), r.containers(), true, r.initContainers());
  }

  /**
   * Decides for {@code pod} if not done yet; reconciler thread only. {@code lastRecorded} is its last recorded
   * status (this run's or the store's), {@code hasContainers} whether the engine has containers of it; {@code all}
   * every pod of the node and {@code recorded} their last recorded statuses, to count what is in use.
   */
  Verdict decide(StoredPod pod, PodStatusReport lastRecorded, boolean hasContainers, List<StoredPod> all,
      Function<String, PodStatusReport> recorded) {
    String uid = pod.ref().uid();
    Verdict verdict = verdict(uid);
    if (verdict != Verdict.UNDECIDED) {
      return verdict;
    }
    if (isRejection(lastRecorded)) {
      rejected.put(uid, lastRecorded); // refused by an earlier run of the node: refused it stays
      return Verdict.REJECTED;
    }
    if (lastRecorded != null || hasContainers || pod.pod().deleting()) {
      admitted.add(uid); // running already, or never to run: never judged
      return Verdict.ADMITTED;
    }
    SecurityAdmission.Refusal forbidden = security.refusal(pod.ref(), pod.pod());
    if (forbidden != null) {
      rejected.put(uid, report(pod.ref(), forbidden.reason(), REJECTED_PREFIX + forbidden.message()));
      LOG.warn("Pod {} rejected ({}): {}", pod.ref().key(), forbidden.reason(), forbidden.message());
      events.warning(pod.ref(), forbidden.reason(), forbidden.message());
      return Verdict.REJECTED;
    }
    Map<String, String> resources = allocatable.get();
    if (resources == null) {
      // Only without the sync bundle (which computes allocatable): then no pod arrives from the cloud either.
      LOG.warn("Pod {} admitted without a resource check: the node's allocatable is not known (is the sync bundle"
          + " running?)", pod.ref().key());
      admitted.add(uid);
      return Verdict.ADMITTED;
    }
    String refusal = refusal(pod, resources, all, recorded);
    if (refusal == null) {
      admitted.add(uid);
      return Verdict.ADMITTED;
    }
    String reason = "OutOf" + refusal.substring(refusal.indexOf(": ") + 2, refusal.indexOf(','));
    rejected.put(uid, report(pod.ref(), reason, REJECTED_PREFIX + refusal));
    LOG.warn("Pod {} rejected ({}): {}", pod.ref().key(), reason, refusal);
    events.warning(pod.ref(), reason, refusal);
    return Verdict.REJECTED;
  }

  /** Forgets a pod the node no longer holds. */
  void forget(String uid) {
    admitted.remove(uid);
    rejected.remove(uid);
  }

  /** The kubelet's message for the first resource that does not fit (pods, cpu, memory), or null if it fits. */
  private String refusal(StoredPod pod, Map<String, String> resources, List<StoredPod> all,
      Function<String, PodStatusReport> recorded) {
    long usedPods = 0;
    long usedCpu = 0;
    long usedMemory = 0;
    for (StoredPod other : all) {
      String uid = other.ref().uid();
      if (uid.equals(pod.ref().uid()) || !admitted.contains(uid) || !active(other, recorded.apply(uid))) {
        continue;
      }
      usedPods++;
      usedCpu += request(other.pod(), ResourcesV1::cpuRequestMillis);
      usedMemory += request(other.pod(), ResourcesV1::memoryRequestBytes);
    }
    Long pods = amount(resources.get("pods"), 0);
    if (pods != null && usedPods + 1 > pods) {
      return message("pods", 1, usedPods, pods);
    }
    long cpu = request(pod.pod(), ResourcesV1::cpuRequestMillis);
    Long cpuAllocatable = amount(resources.get("cpu"), 3);
    if (cpu > 0 && cpuAllocatable != null && cpu > cpuAllocatable - usedCpu) {
      return message("cpu", cpu, usedCpu, cpuAllocatable);
    }
    long memory = request(pod.pod(), ResourcesV1::memoryRequestBytes);
    Long memoryAllocatable = amount(resources.get("memory"), 0);
    if (memory > 0 && memoryAllocatable != null && memory > memoryAllocatable - usedMemory) {
      return message("memory", memory, usedMemory, memoryAllocatable);
    }
    return null;
  }

  private static String message(String resource, long requested, long used, long capacity) {
    return "Node didn't have enough resource: " + resource + ", requested: " + requested + ", used: " + used
        + ", capacity: " + capacity;
  }

  /** Counted as in use: not finished (Succeeded/Failed) and not a deleted pod whose containers all stopped. */
  private static boolean active(StoredPod pod, PodStatusReport status) {
    if (status == null) {
      return true;
    }
    if ("Succeeded".equals(status.phase()) || "Failed".equals(status.phase())) {
      return false;
    }
    return !(pod.pod().deleting() && status.stopped());
  }

  /** A pod's request: the larger of its containers' sum and its largest init container. */
  static long request(PodV1 pod, Function<ResourcesV1, Long> field) {
    long sum = 0;
    for (ContainerV1 container : pod.containers() == null ? List.<ContainerV1>of() : pod.containers()) {
      sum += value(container, field);
    }
    long init = 0;
    for (ContainerV1 container : pod.initContainers() == null ? List.<ContainerV1>of() : pod.initContainers()) {
      init = Math.max(init, value(container, field));
    }
    return Math.max(sum, init);
  }

  private static long value(ContainerV1 container, Function<ResourcesV1, Long> field) {
    Long value = container.resources() == null ? null : field.apply(container.resources());
    return value == null ? 0 : value;
  }

  static boolean isRejection(PodStatusReport status) {
    return status != null && "Failed".equals(status.phase()) && status.reason() != null
        && (status.reason().startsWith("OutOf") || SecurityAdmission.REASONS.contains(status.reason()))
        && status.message() != null
        && status.message().startsWith(REJECTED_PREFIX);
  }

  private PodStatusReport report(ObjectRef ref, String reason, String message) {
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    return new PodStatusReport(1, node, ref, "Failed", reason, message, null, null, now, List.of(), false);
  }

  private static final Pattern QUANTITY = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?");

  /**
   * A quantity of the allocatable, scaled by 10^{@code scale} (3: millicores) and rounded down; null if absent or
   * not readable (that resource is then not checked).
   */
  static Long amount(String quantity, int scale) {
    Matcher m = QUANTITY.matcher(quantity == null ? "" : quantity.trim());
    if (!m.matches()) {
      return null;
    }
    String suffix = m.group(2) == null ? "" : m.group(2);
    BigDecimal factor = switch (suffix) {
      case "" -> BigDecimal.ONE;
      case "m" -> new BigDecimal("0.001");
      case "k" -> BigDecimal.TEN.pow(3);
      case "M" -> BigDecimal.TEN.pow(6);
      case "G" -> BigDecimal.TEN.pow(9);
      case "T" -> BigDecimal.TEN.pow(12);
      case "P" -> BigDecimal.TEN.pow(15);
      case "E" -> BigDecimal.TEN.pow(18);
      default -> BigDecimal.valueOf(2).pow(10 * (1 + "KMGTPE".indexOf(suffix.charAt(0))));
    };
    return new BigDecimal(m.group(1)).multiply(factor).movePointRight(scale).setScale(0, RoundingMode.FLOOR)
        .longValue();
  }
}
