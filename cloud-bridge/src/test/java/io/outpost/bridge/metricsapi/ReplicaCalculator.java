package io.outpost.bridge.metricsapi;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.ContainerMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The HorizontalPodAutoscaler's replica count for a CPU utilization target, as Kubernetes' controller computes it
 * ({@code pkg/controller/podautoscaler/replica_calculator.go}, {@code GetResourceReplicas}, with {@code groupPods},
 * {@code calculatePodRequests} and the metrics client's {@code getPodMetrics} and
 * {@code GetResourceUtilizationRatio}): the pods' usage from the Metrics API ({@code client.top().pods()}, the
 * {@code metrics.k8s.io/v1beta1} PodMetrics an HPA's resource metrics client lists with the target's selector), each
 * pod's usage the sum of its containers' (milli-cores, rounded up as {@code Quantity.MilliValue}), utilization =
 * usage / requests of the pods with metrics, {@code desired = ceil(ready pods x utilization / target)} unless within
 * the tolerance (0.1). A pod without metrics ("missing") counts as using 100 % of its request on a scale-down and 0 %
 * on a scale-up, and the decision is dropped if that reverses its direction; no metrics at all is an error (the
 * controller then keeps the replica count: {@code ScalingActive=False}).
 *
 * <p>Not modelled: min/max replicas, the scale-down stabilization window and scaling policies (which only limit
 * what this count asks for), container-resource and non-CPU metrics.
 */
public final class ReplicaCalculator {
  /** {@code --horizontal-pod-autoscaler-tolerance}. */
  public static final double TOLERANCE = 0.1;
  /** {@code --horizontal-pod-autoscaler-cpu-initialization-period}, {@code --...-initial-readiness-delay}. */
  static final Duration CPU_INITIALIZATION_PERIOD = Duration.ofMinutes(5);
  static final Duration INITIAL_READINESS_DELAY = Duration.ofSeconds(30);

  /** A decision: the replica count asked for and the utilization (percent of requests) it was based on. */
  public record Decision(int replicas, int utilization, Set<String> missingPods) {}

  /** One pod's usage as the HPA's metrics client reads it. */
  record PodMetric(long milliCores, Instant timestamp, Duration window) {}

  private final KubernetesClient client;
  private final Clock clock;

  public ReplicaCalculator(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /**
   * The replica count for pods matching {@code selector} in {@code namespace} at {@code targetUtilization} percent
   * of their CPU requests.
   *
   * @throws IllegalStateException where the controller's calculation fails (no metrics, no pods, a missing request)
   */
  public Decision cpuReplicas(int currentReplicas, int targetUtilization, String namespace,
      Map<String, String> selector) {
    List<PodMetrics> items = client.top().pods().inNamespace(namespace).withLabels(selector).metrics().getItems();
    if (items.isEmpty()) {
      throw new IllegalStateException("unable to get metrics for resource cpu: no metrics returned from resource "
          + "metrics API");
    }
    return cpuReplicas(currentReplicas, targetUtilization, namespace, selector, podMetrics(items));
  }

  /**
   * The same calculation with {@code pod} read as using nothing: what a consumer that took a cut-off pod's missing
   * figures for zero would decide (for comparison in tests; no real consumer does this).
   */
  public Decision cpuReplicasReadingZeroFor(int currentReplicas, int targetUtilization, String namespace,
      Map<String, String> selector, String pod) {
    Map<String, PodMetric> metrics = podMetrics(client.top().pods().inNamespace(namespace).withLabels(selector)
        .metrics().getItems());
    metrics.put(pod, new PodMetric(0, clock.instant(), Duration.ofSeconds(15)));
    return cpuReplicas(currentReplicas, targetUtilization, namespace, selector, metrics);
  }

  /** The calculation from given pod metrics (by pod name): {@code GetResourceReplicas} after the metrics client. */
  Decision cpuReplicas(int currentReplicas, int targetUtilization, String namespace, Map<String, String> selector,
      Map<String, PodMetric> metrics) {
    List<Pod> pods = client.pods().inNamespace(namespace).withLabels(selector).list().getItems();
    if (pods.isEmpty()) {
      throw new IllegalStateException("no pods returned by selector while calculating replica count");
    }
    Map<String, PodMetric> usable = new HashMap<>(metrics);
    Set<String> unready = new HashSet<>();
    Set<String> missing = new HashSet<>();
    Set<String> ignored = new HashSet<>();
    int ready = groupPods(pods, usable, unready, missing, ignored);
    usable.keySet().removeAll(ignored);
    usable.keySet().removeAll(unready);
    if (usable.isEmpty()) {
      throw new IllegalStateException("did not receive metrics for targeted pods (pods might be unready)");
    }
    Map<String, Long> requests = requests(pods);
    Ratio ratio = ratio(usable, requests, targetUtilization);
    boolean scaleUpWithUnready = !unready.isEmpty() && ratio.value() > 1.0;
    if (!scaleUpWithUnready && missing.isEmpty()) {
      if (Math.abs(1.0 - ratio.value()) <= TOLERANCE) {
        return new Decision(currentReplicas, ratio.utilization(), missing);
      }
      return new Decision((int) Math.ceil(ratio.value() * ready), ratio.utilization(), missing);
    }
    if (!missing.isEmpty()) {
      if (ratio.value() < 1.0) {
        long fallback = Math.max(100, targetUtilization);
        missing.forEach(pod -> usable.put(pod, new PodMetric(requests.get(pod) * fallback / 100, null, null)));
      } else if (ratio.value() > 1.0) {
        missing.forEach(pod -> usable.put(pod, new PodMetric(0, null, null)));
      }
    }
    if (scaleUpWithUnready) {
      unready.forEach(pod -> usable.put(pod, new PodMetric(0, null, null)));
    }
    Ratio again = ratio(usable, requests, targetUtilization);
    if (Math.abs(1.0 - again.value()) <= TOLERANCE || (ratio.value() < 1.0 && again.value() > 1.0)
        || (ratio.value() > 1.0 && again.value() < 1.0)) {
      return new Decision(currentReplicas, ratio.utilization(), missing);
    }
    int replicas = (int) Math.ceil(again.value() * usable.size());
    if ((again.value() < 1.0 && replicas > currentReplicas) || (again.value() > 1.0 && replicas < currentReplicas)) {
      return new Decision(currentReplicas, ratio.utilization(), missing);
    }
    return new Decision(replicas, ratio.utilization(), missing);
  }

  /** The metrics client's {@code getPodMetrics}: a pod missing any container's CPU is left out. */
  static Map<String, PodMetric> podMetrics(List<PodMetrics> items) {
    Map<String, PodMetric> metrics = new HashMap<>();
    for (PodMetrics item : items) {
      boolean missing = item.getContainers() == null || item.getContainers().isEmpty();
      long sum = 0;
      for (ContainerMetrics container : missing ? List.<ContainerMetrics>of() : item.getContainers()) {
        Quantity cpu = container.getUsage() == null ? null : container.getUsage().get("cpu");
        if (cpu == null) {
          missing = true;
          break;
        }
        sum += milliValue(cpu);
      }
      if (!missing) {
        metrics.put(item.getMetadata().getName(), new PodMetric(sum, Instant.parse(item.getTimestamp()),
            item.getWindow() == null ? Duration.ZERO : item.getWindow().getDuration()));
      }
    }
    return metrics;
  }

  /** {@code groupPods} for CPU; fills the sets, returns the ready pod count. */
  private int groupPods(List<Pod> pods, Map<String, PodMetric> metrics, Set<String> unready, Set<String> missing,
      Set<String> ignored) {
    int ready = 0;
    Instant now = clock.instant();
    for (Pod pod : pods) {
      String name = pod.getMetadata().getName();
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if (pod.getMetadata().getDeletionTimestamp() != null || "Failed".equals(phase)) {
        ignored.add(name);
        continue;
      }
      if ("Pending".equals(phase)) {
        unready.add(name);
        continue;
      }
      PodMetric metric = metrics.get(name);
      if (metric == null) {
        missing.add(name);
        continue;
      }
      PodCondition condition = pod.getStatus() == null || pod.getStatus().getConditions() == null ? null
          : pod.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst()
              .orElse(null);
      boolean notReady;
      if (condition == null || pod.getStatus().getStartTime() == null) {
        notReady = true;
      } else {
        Instant started = Instant.parse(pod.getStatus().getStartTime());
        Instant transition = Instant.parse(condition.getLastTransitionTime());
        if (started.plus(CPU_INITIALIZATION_PERIOD).isAfter(now)) {
          notReady = "False".equals(condition.getStatus())
              || metric.timestamp().isBefore(transition.plus(metric.window()));
        } else {
          notReady = "False".equals(condition.getStatus())
              && started.plus(INITIAL_READINESS_DELAY).isAfter(transition);
        }
      }
      if (notReady) {
        unready.add(name);
        continue;
      }
      ready++;
    }
    return ready;
  }

  /** {@code calculatePodRequests}: each pod's containers' CPU requests in millicores; all must have one. */
  private static Map<String, Long> requests(List<Pod> pods) {
    Map<String, Long> requests = new HashMap<>();
    for (Pod pod : pods) {
      long sum = 0;
      for (Container container : pod.getSpec().getContainers()) {
        Quantity request = container.getResources() == null || container.getResources().getRequests() == null
            ? null : container.getResources().getRequests().get("cpu");
        if (request == null) {
          throw new IllegalStateException("missing request for cpu in container " + container.getName()
              + " of Pod " + pod.getMetadata().getName());
        }
        sum += milliValue(request);
      }
      requests.put(pod.getMetadata().getName(), sum);
    }
    return requests;
  }

  private record Ratio(double value, int utilization) {}

  /** {@code GetResourceUtilizationRatio}: integer percent of the summed requests, over the target. */
  private static Ratio ratio(Map<String, PodMetric> metrics, Map<String, Long> requests, int targetUtilization) {
    long metricsTotal = 0;
    long requestsTotal = 0;
    for (Map.Entry<String, PodMetric> entry : metrics.entrySet()) {
      Long request = requests.get(entry.getKey());
      if (request == null) {
        continue;
      }
      metricsTotal += entry.getValue().milliCores();
      requestsTotal += request;
    }
    if (requestsTotal == 0) {
      throw new IllegalStateException("no metrics returned matched known pods");
    }
    int utilization = (int) (metricsTotal * 100 / requestsTotal);
    return new Ratio((double) utilization / targetUtilization, utilization);
  }

  /** {@code Quantity.MilliValue()}: thousandths, rounded up. */
  static long milliValue(Quantity quantity) {
    BigDecimal amount = quantity.getNumericalAmount();
    return amount.movePointRight(3).setScale(0, RoundingMode.CEILING).longValueExact();
  }
}
