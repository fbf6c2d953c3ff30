package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@link ContainerEngine} over docker-java (zerodep transport) at Docker Engine API version 1.41, which Podman
 * serves. Two HTTP clients: one with a response timeout for short requests, one without for streaming pulls (the
 * manager bounds pulls itself). docker-java runs inside the bundle: the thread context class loader is set to the
 * bundle's around client creation and every call.
 */
final class DockerEngine implements ContainerEngine {
  static final String API_VERSION = "1.41";
  private static final long LOG_TIMEOUT_SECONDS = 30;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final DockerClient client;
  private final DockerClient pullClient;
  private final DockerVolumes volumes;

  /** The engine refused the log size cap once (a driver without it): it is not sent again. */
  private volatile boolean logCapRefused;

  private DockerEngine(DockerClient client, DockerClient pullClient) {
    this.client = client;
    this.pullClient = pullClient;
    this.volumes = new DockerVolumes(client);
  }

  static DockerEngine connect(String host) {
    return withBundleLoader(() -> {
      DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
          .withDockerHost(host).withApiVersion(API_VERSION).withDockerTlsVerify(false).build();
      return new DockerEngine(client(config, Duration.ofSeconds(30)), client(config, null));
    });
  }

  private static DockerClient client(DockerClientConfig config, Duration responseTimeout) {
    ZerodepDockerHttpClient.Builder http = new ZerodepDockerHttpClient.Builder()
        .dockerHost(config.getDockerHost()).sslConfig(config.getSSLConfig())
        .maxConnections(8).connectionTimeout(Duration.ofSeconds(5));
    if (responseTimeout != null) {
      http.responseTimeout(responseTimeout);
    }
    return DockerClientImpl.getInstance(config, http.build());
  }

  @Override
  public String version() {
    return call("version", () -> {
      client.pingCmd().exec();
      return client.versionCmd().exec().getVersion();
    });
  }

  @Override
  public List<EngineContainer> list(String node) {
    return list(node, Map.of(Naming.NODE, node), true);
  }

  @Override
  public List<EngineContainer> list(String node, String podUid) {
    return list(node, Map.of(Naming.NODE, node, Naming.POD_UID, podUid), false);
  }

  private List<EngineContainer> list(String node, Map<String, String> labels, boolean all) {
    List<Container> containers = call("list containers", () -> client.listContainersCmd().withShowAll(true)
        .withLabelFilter(labels).exec());
    List<EngineContainer> result = new ArrayList<>(containers.size());
    java.util.Set<String> listed = new java.util.HashSet<>();
    for (Container container : containers) {
      // The label filter is the engine's; check again so that nothing without this node's label is ever touched.
      if (container.getLabels() != null && node.equals(container.getLabels().get(Naming.NODE))) {
        listed.add(container.getId());
        Inspected cached = inspected.get(container.getId());
        if (cached != null && cached.state().equals(container.getState())) {
          result.add(cached.container()); // unchanged since the last inspect: no request per container per pass
        } else {
          inspect(container.getId()).ifPresent(result::add);
        }
      }
    }
    if (all) {
      inspected.keySet().retainAll(listed);
    }
    return result;
  }

  /** An inspect result and the engine state it was taken in. */
  private record Inspected(String state, EngineContainer container) {}

  /**
   * The last inspect of each container, reused by {@link #list} while the engine lists the container in the same
   * state: a pass over many pods then costs one list request, not one inspect per container. Every action the
   * manager takes is followed by its own inspect, which refreshes the entry.
   */
  private final Map<String, Inspected> inspected = new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public Optional<EngineContainer> inspect(String id) {
    try {
      InspectContainerResponse response = call("inspect " + id, () -> client.inspectContainerCmd(id).exec());
      EngineContainer container = InspectedContainers.container(response);
      if (response.getState() != null && response.getState().getStatus() != null) {
        inspected.put(id, new Inspected(response.getState().getStatus(), container));
      }
      return Optional.of(container);
    } catch (EngineException e) {
      if (e.getCause() instanceof NotFoundException) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public boolean imageExists(String image) {
    try {
      call("inspect image " + image, () -> client.inspectImageCmd(image).exec());
      return true;
    } catch (EngineException e) {
      if (e.getCause() instanceof NotFoundException) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public String imageUser(String image) {
    com.github.dockerjava.api.command.InspectImageResponse inspected = call("inspect image " + image,
        () -> client.inspectImageCmd(image).exec());
    return inspected.getConfig() == null || inspected.getConfig().getUser() == null ? ""
        : inspected.getConfig().getUser();
  }

  @Override
  public Closeable pull(String image, PullSecrets.Credentials credentials, Consumer<String> done) {
    String[] ref = ImageRef.split(image);
    PullCallback callback = new PullCallback(done);
    return withBundleLoader(() -> {
      var command = pullClient.pullImageCmd(ref[0]).withTag(ref[1]);
      if (credentials != null) { // sent as the X-Registry-Auth header
        command.withAuthConfig(new AuthConfig().withRegistryAddress(credentials.registry())
            .withUsername(credentials.username()).withPassword(credentials.password())
            .withIdentityToken(credentials.identityToken()));
      }
      return command.exec(callback);
    });
  }

  @Override
  public String create(ContainerSpec spec) {
    ContainerSpec sent = logCapRefused ? spec.withoutLogCap() : spec;
    try {
      return call("create " + spec.name(), () -> CreateRequests.fill(client.createContainerCmd(sent.image())
          .withName(sent.name()).withLabels(sent.labels()), sent).exec().getId());
    } catch (EngineException e) {
      if (sent.logMaxBytes() > 0 && refusesLogCap(e.getMessage())) {
        // Docker with a journald or syslog default driver takes no max-size: its logs are bounded by that driver.
        logCapRefused = true;
        org.slf4j.LoggerFactory.getLogger(DockerEngine.class).warn("The engine's log driver refuses a size cap ({});"
            + " containers are created without one — bound their logs in the engine's configuration", e.getMessage());
        return create(spec);
      }
      throw e;
    }
  }

  /** Whether an engine's answer to a create says its log driver does not take the {@code max-size} option. */
  static boolean refusesLogCap(String message) {
    String text = message == null ? "" : message.toLowerCase(java.util.Locale.ROOT);
    return text.contains("log opt") && text.contains("max-size");
  }

  @Override
  public void start(String id) {
    call("start " + id, () -> client.startContainerCmd(id).exec());
  }

  @Override
  public void kill(String id, String signal) {
    call("kill " + id, () -> client.killContainerCmd(id).withSignal(signal).exec());
  }

  @Override
  public void remove(String id, boolean force) {
    try {
      call("remove " + id, () -> client.removeContainerCmd(id).withForce(force).exec());
    } catch (EngineException e) {
      if (!(e.getCause() instanceof NotFoundException)) {
        throw e;
      }
    }
  }

  @Override
  public void createVolume(String name, Map<String, String> driverOptions, Map<String, String> labels) {
    volumes.create(name, driverOptions, labels);
  }

  @Override
  public Map<String, String> volumes(String node) {
    return volumes.list(node);
  }

  @Override
  public void removeVolume(String name) {
    volumes.remove(name);
  }

  @Override
  public String logs(String id, int tail, int maxBytes) {
    LogCollector collector = new LogCollector(maxBytes);
    call("logs " + id, () -> {
      var cmd = client.logContainerCmd(id).withStdOut(true).withStdErr(true);
      if (tail >= 0) {
        cmd.withTail(tail);
      }
      try {
        if (!cmd.exec(collector).awaitCompletion(LOG_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
          throw new IllegalStateException("the engine did not send the log within " + LOG_TIMEOUT_SECONDS + " s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while reading the log", e);
      }
      return null;
    });
    return collector.text();
  }

  @Override
  public Closeable events(String node, Consumer<String> onEvent, Consumer<String> onEnd) {
    return withBundleLoader(() -> pullClient.eventsCmd().withLabelFilter(Map.of(Naming.NODE, node))
        .withEventTypeFilter(com.github.dockerjava.api.model.EventType.CONTAINER)
        .exec(new ResultCallback.Adapter<com.github.dockerjava.api.model.Event>() {
          @Override
          public void onNext(com.github.dockerjava.api.model.Event event) {
            if (event.getId() != null) {
              inspected.remove(event.getId()); // changed behind the manager's back (died, restarted): look again
            }
            Map<String, String> attributes = event.getActor() == null ? null : event.getActor().getAttributes();
            onEvent.accept(attributes == null ? null : attributes.get(Naming.POD_UID));
          }

          @Override
          public void onError(Throwable error) {
            onEnd.accept(message(error));
          }

          @Override
          public void onComplete() {
            onEnd.accept("the event stream ended");
          }
        }));
  }

  @Override
  public Integer exec(String id, List<String> command, Duration timeout) {
    return call("exec in " + id, () -> {
      String exec = client.execCreateCmd(id).withCmd(command.toArray(String[]::new)).withAttachStdout(true)
          .withAttachStderr(true).exec().getId();
      try {
        boolean done = client.execStartCmd(exec).exec(new LogCollector(64 * 1024))
            .awaitCompletion(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        if (!done) {
          return null;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
      Long code = client.inspectExecCmd(exec).exec().getExitCodeLong();
      return code == null ? null : code.intValue();
    });
  }

  @Override
  public void close() {
    closeQuietly(client);
    closeQuietly(pullClient);
  }

  private static void closeQuietly(Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      // Closing the transport of a stopping component: nothing left to do with the error.
      org.slf4j.LoggerFactory.getLogger(DockerEngine.class).debug("closing the engine client failed", e);
    }
  }

  /** The engine's own message from an error response body ({@code {"message": ...}}), else the exception's. */
  static String message(Throwable error) {
    String text = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    int brace = text.indexOf('{');
    if (error instanceof DockerException && brace >= 0) {
      try {
        JsonNode body = JSON.readTree(text.substring(brace));
        if (body.hasNonNull("message")) {
          return body.get("message").asText();
        }
      } catch (IOException | RuntimeException e) {
        return text.trim();
      }
    }
    return text.trim();
  }

  static <T> T call(String what, Supplier<T> request) {
    try {
      return withBundleLoader(request);
    } catch (RuntimeException e) {
      throw new EngineException(what + ": " + message(e), e);
    }
  }

  static void call(String what, Runnable request) {
    call(what, () -> {
      request.run();
      return null;
    });
  }

  private static <T> T withBundleLoader(Supplier<T> work) {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(DockerEngine.class.getClassLoader());
    try {
      return work.get();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  /** Collects the pull's error, if any, and reports once. */
  private static final class PullCallback extends ResultCallback.Adapter<PullResponseItem> {
    private final Consumer<String> done;
    private final AtomicBoolean reported = new AtomicBoolean();
    private volatile String error;

    PullCallback(Consumer<String> done) {
      this.done = done;
    }

    @Override
    public void onNext(PullResponseItem item) {
      if (item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null) {
        error = item.getErrorDetail().getMessage();
      } else if (item.getError() != null) {
        error = item.getError();
      }
    }

    @Override
    public void onError(Throwable throwable) {
      report(message(throwable));
      super.onError(throwable);
    }

    @Override
    public void onComplete() {
      report(error);
      super.onComplete();
    }

    @Override
    public void close() throws IOException {
      report("pull abandoned");
      super.close();
    }

    private void report(String outcome) {
      if (reported.compareAndSet(false, true)) {
        done.accept(outcome);
      }
    }
  }
}
