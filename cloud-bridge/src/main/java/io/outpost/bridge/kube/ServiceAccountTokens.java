package io.outpost.bridge.kube;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.outpost.protocol.ServiceAccountTokensV1;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bound ServiceAccount tokens of the pods on edge nodes, as the kubelet's token manager keeps them: one token per
 * pod and distinct (audience, expirationSeconds) of its projected {@code serviceAccountToken} sources, requested with
 * the TokenRequest API bound to the pod ({@link TokenRequests}), and requested again once 80 % of its lifetime has
 * passed or it is 24 h old, whichever comes first. Tokens are kept for as long as the pod exists (until the pod is
 * deleted or leaves the node), whether or not its node is connected: a node that comes back gets the current tokens
 * with its resync. Requests run on this class's own executor; failures back off exponentially with jitter and the
 * previous token stays in use. Nothing here logs a token.
 *
 * <p>Thread-safety: the per-pod state is guarded by {@code this}; API calls run outside the lock.
 */
public final class ServiceAccountTokens implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceAccountTokens.class);
  /** The kubelet refreshes a token after 80 % of its lifetime ... */
  static final double REFRESH_FRACTION = 0.8;
  /** ... or once it is 24 h old. */
  static final Duration MAX_AGE = Duration.ofHours(24);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  private static final Duration MAX_RETRY = Duration.ofMinutes(5);

  private final TokenRequests requests;
  private final Clock clock;
  private final Consumer<String> outcomes;
  private final ScheduledExecutorService executor;
  /** Pod uid → what this bridge holds and plans for it. Guarded by {@code this}. */
  private final Map<String, PodTokens> pods = new HashMap<>();
  private volatile Consumer<String> changed = node -> { };

  /** A pod's tokens and what is scheduled for them. */
  private static final class PodTokens {
    Pod pod;
    final Map<TokenRequests.Ask, TokenRequests.Issued> issued = new HashMap<>();
    final Map<TokenRequests.Ask, ScheduledFuture<?>> planned = new HashMap<>();
    final Map<TokenRequests.Ask, Integer> failures = new HashMap<>();

    PodTokens(Pod pod) {
      this.pod = pod;
    }
  }

  /**
   * {@code outcomes} hears one label per TokenRequest ({@code issued}, {@code refreshed}, {@code failed}), for a
   * counter.
   */
  public ServiceAccountTokens(KubernetesClient client, Clock clock, Consumer<String> outcomes) {
    this.requests = new TokenRequests(client);
    this.clock = clock;
    this.outcomes = outcomes;
    ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(2, r -> {
      Thread thread = new Thread(r, "outpost-bridge-sa-tokens");
      thread.setDaemon(true);
      return thread;
    });
    pool.setRemoveOnCancelPolicy(true);
    this.executor = pool;
  }

  /** {@code changed} hears the node of a pod whose tokens changed (a new or refreshed token to send). */
  public void onChange(Consumer<String> changed) {
    this.changed = changed;
  }

  /**
   * An informer handler that asks for the tokens of edge pods as soon as the cache has them (before any node
   * resyncs) and forgets deleted pods. Never blocks.
   */
  public ResourceEventHandler<Pod> podHandler(Predicate<Pod> edgePod) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        if (edgePod.test(pod)) {
          tokens(pod);
        }
      }

      @Override
      public void onUpdate(Pod before, Pod after) {
        onAdd(after);
      }

      @Override
      public void onDelete(Pod pod, boolean finalStateUnknown) {
        forget(pod.getMetadata().getUid());
      }
    };
  }

  /**
   * The tokens this bridge holds for the pod, for its node; null if the pod asks for none or none has been issued
   * yet. Starts the requests for what is missing (the node hears of them through {@link #onChange}). Never blocks.
   */
  public ServiceAccountTokensV1 tokens(Pod pod) {
    List<TokenRequests.Source> sources = TokenRequests.sources(pod);
    if (sources.isEmpty() || pod.getMetadata().getUid() == null) {
      return null;
    }
    String uid = pod.getMetadata().getUid();
    List<ServiceAccountTokensV1.TokenV1> files = new ArrayList<>();
    synchronized (this) {
      PodTokens state = pods.computeIfAbsent(uid, u -> new PodTokens(pod));
      state.pod = pod;
      for (TokenRequests.Source source : sources) {
        TokenRequests.Issued issued = state.issued.get(source.ask());
        if (issued != null) {
          files.add(new ServiceAccountTokensV1.TokenV1(source.volume(), source.path(), issued.token(),
              issued.expiresAt().getEpochSecond()));
        } else if (!state.planned.containsKey(source.ask())) {
          plan(uid, state, source.ask(), Duration.ZERO);
        }
      }
    }
    return files.isEmpty() ? null : new ServiceAccountTokensV1(uid, List.copyOf(files));
  }

  /** Forgets the pods of {@code node} that are not among {@code current}: their tokens are no longer refreshed. */
  public void retain(String node, Collection<Pod> current) {
    Set<String> keep = new HashSet<>();
    current.forEach(pod -> keep.add(pod.getMetadata().getUid()));
    List<String> gone = new ArrayList<>();
    synchronized (this) {
      pods.forEach((uid, state) -> {
        if (node.equals(state.pod.getSpec().getNodeName()) && !keep.contains(uid)) {
          gone.add(uid);
        }
      });
    }
    gone.forEach(this::forget);
  }

  /** The pod is gone: nothing of it is refreshed again. */
  public void forget(String uid) {
    PodTokens state;
    synchronized (this) {
      state = pods.remove(uid);
    }
    if (state != null) {
      state.planned.values().forEach(future -> future.cancel(false));
      LOG.debug("ServiceAccount tokens of pod {}/{} forgotten", state.pod.getMetadata().getNamespace(),
          state.pod.getMetadata().getName());
    }
  }

  /** How many pods this bridge keeps tokens for (a gauge). */
  public synchronized int pods() {
    return pods.size();
  }

  /** Under the lock: one request for {@code ask} after {@code delay}. */
  private void plan(String uid, PodTokens state, TokenRequests.Ask ask, Duration delay) {
    try {
      state.planned.put(ask, executor.schedule(() -> request(uid, ask), Math.max(0, delay.toMillis()),
          TimeUnit.MILLISECONDS));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.debug("TokenRequest not planned: closing");
    }
  }

  /** On the executor: one TokenRequest, then the next one planned (refresh or retry). */
  private void request(String uid, TokenRequests.Ask ask) {
    Pod pod;
    boolean refresh;
    synchronized (this) {
      PodTokens state = pods.get(uid);
      if (state == null) {
        return;
      }
      pod = state.pod;
      refresh = state.issued.containsKey(ask);
    }
    String name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    Instant now = clock.instant();
    TokenRequests.Issued issued;
    try {
      issued = requests.issue(pod, ask, now);
    } catch (RuntimeException e) {
      outcomes.accept("failed");
      retry(uid, ask, name, e);
      return;
    }
    synchronized (this) {
      PodTokens state = pods.get(uid);
      if (state == null) {
        return; // deleted meanwhile: the token is dropped
      }
      state.issued.put(ask, issued);
      Integer failed = state.failures.remove(ask);
      if (failed != null) {
        LOG.info("TokenRequest for pod {} succeeds again after {} failure(s)", name, failed);
      }
      plan(uid, state, ask, refreshDelay(issued));
    }
    outcomes.accept(refresh ? "refreshed" : "issued");
    LOG.debug("ServiceAccount token for pod {} ({}) {}, expires {}", name, ask, refresh ? "refreshed" : "issued",
        issued.expiresAt());
    changed.accept(pod.getSpec().getNodeName());
  }

  private void retry(String uid, TokenRequests.Ask ask, String name, RuntimeException e) {
    synchronized (this) {
      PodTokens state = pods.get(uid);
      if (state == null) {
        return;
      }
      int failures = state.failures.merge(ask, 1, Integer::sum);
      Duration delay = backoff(failures);
      if (failures == 1) {
        LOG.warn("TokenRequest for pod {} (ServiceAccount {}) failed, retrying with back-off: {}", name,
            TokenRequests.serviceAccount(state.pod), e.getMessage());
      }
      plan(uid, state, ask, delay);
    }
  }

  /** When the kubelet would refresh it: at 80 % of its lifetime or at 24 h of age, whichever is first. */
  static Duration refreshDelay(TokenRequests.Issued issued) {
    Duration ttl = Duration.between(issued.issuedAt(), issued.expiresAt());
    Duration at = Duration.ofMillis((long) (ttl.toMillis() * REFRESH_FRACTION));
    return at.compareTo(MAX_AGE) > 0 ? MAX_AGE : at;
  }

  /** 1 s doubling to 5 min, ±20 % jitter. */
  static Duration backoff(int failures) {
    long base = Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(failures - 1, 20));
    double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis((long) (base * jitter));
  }

  @Override
  public void close() {
    executor.shutdownNow();
    synchronized (this) {
      pods.clear();
    }
  }
}
