package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Closeable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * {@link ContainerEngine} over the Docker Engine API at version {@value EngineHttp#API_VERSION}, which Podman serves:
 * the container requests here, the rest by area ({@link EngineImages}, {@link DockerVolumes}, {@link EngineNetworks}, {@link EngineExecs},
 * {@link EngineEvents}), all over {@link EngineHttp} — the JDK's unix-domain sockets and HTTP/1.1 by hand.
 */
final class DockerEngine implements ContainerEngine {
  static final String API_VERSION = EngineHttp.API_VERSION;

  private final EngineHttp http;
  private final EngineImages images;
  private final DockerVolumes volumes;
  private final EngineExecs execs;
  private final EngineNetworks networks;

  /** The engine refused the log size cap once (a driver without it): it is not sent again. */
  private volatile boolean logCapRefused;

  /** An inspect result and the engine state it was taken in. */
  private record Inspected(String state, EngineContainer container) {}

  /**
   * The last inspect of each container, reused by {@link #list} while the engine lists the container in the same
   * state: a pass over many pods then costs one list request, not one inspect per container. Every action the
   * manager takes is followed by its own inspect, which refreshes the entry.
   */
  private final Map<String, Inspected> inspected = new ConcurrentHashMap<>();

  private DockerEngine(EngineHttp http) {
    this.http = http;
    this.images = new EngineImages(http);
    this.volumes = new DockerVolumes(http);
    this.execs = new EngineExecs(http);
    this.networks = new EngineNetworks(http);
  }

  /** A client of the engine at {@code unix:///path} or {@code tcp://host:port}; connects per request. */
  static DockerEngine connect(String host) {
    return new DockerEngine(new EngineHttp(host));
  }

  @Override
  public String version() {
    // The ping's answer is text ("OK"), not JSON.
    http.answer("version", "GET", "/_ping", null, EngineHttp.TIMEOUT, Map.of(), connection -> connection.text(64));
    JsonNode version = http.call("version", "GET", "/version", null);
    return version == null ? null : InspectedContainers.text(version, "Version");
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
    JsonNode containers = http.call("list containers", "GET", "/containers/json?all=true&filters="
        + EngineHttp.filters(Map.of("label", EngineHttp.labelFilter(labels))), null);
    List<EngineContainer> result = new ArrayList<>();
    Set<String> listed = new HashSet<>();
    for (JsonNode container : containers == null ? EngineHttp.JSON.createArrayNode() : containers) {
      String id = InspectedContainers.text(container, "Id");
      // The label filter is the engine's; check again so that nothing without this node's label is ever touched.
      if (id != null && node.equals(InspectedContainers.strings(container.path("Labels")).get(Naming.NODE))) {
        listed.add(id);
        Inspected cached = inspected.get(id);
        if (cached != null && cached.state().equals(InspectedContainers.text(container, "State"))) {
          result.add(cached.container()); // unchanged since the last inspect: no request per container per pass
        } else {
          inspect(id).ifPresent(result::add);
        }
      }
    }
    if (all) {
      inspected.keySet().retainAll(listed);
      pids.keySet().retainAll(listed);
    }
    result.sort(EphemeralContainers.removalOrder()); // stable: removing in list order frees PID namespaces first
    return result;
  }

  /** Where processes and cgroups are seen: the engine runs on this host (its socket is local). */
  private static final java.nio.file.Path PROC = java.nio.file.Path.of("/proc");
  private static final java.nio.file.Path CGROUPS = java.nio.file.Path.of("/sys/fs/cgroup");
  /** Per container, the process whose cgroup holds its memory breakdown (engines that do not report it). */
  private final Map<String, Long> pids = new ConcurrentHashMap<>();

  @Override
  public Optional<EngineStats> stats(String id) {
    JsonNode response;
    try {
      response = http.call("stats " + id, "GET", "/containers/" + id + "/stats?stream=false&one-shot=true", null);
    } catch (EngineException e) {
      if (EngineHttp.notFound(e)) {
        pids.remove(id);
        return Optional.empty();
      }
      throw e;
    }
    Optional<EngineStats> stats = response == null ? Optional.empty()
        : EngineStats.parse(response, java.time.Instant.now());
    if (stats.isEmpty() || stats.get().inactiveFile() != null) {
      return stats;
    }
    long pid = pids.computeIfAbsent(id, this::pid);
    EngineStats withCgroup = stats.get().withCgroupOf(pid, PROC, CGROUPS);
    if (withCgroup.inactiveFile() == null) {
      pids.remove(id); // restarted (another process) or not readable: looked up again next time
    }
    return Optional.of(withCgroup);
  }

  /** The container's main process as the engine reports it; 0 if unknown. */
  private long pid(String id) {
    try {
      JsonNode response = http.call("inspect " + id, "GET", "/containers/" + id + "/json", null);
      return response == null ? 0 : response.path("State").path("Pid").asLong(0);
    } catch (EngineException e) {
      return 0;
    }
  }

  @Override
  public Optional<EngineContainer> inspect(String id) {
    JsonNode response;
    try {
      response = http.call("inspect " + id, "GET", "/containers/" + id + "/json", null);
    } catch (EngineException e) {
      if (EngineHttp.notFound(e)) {
        return Optional.empty();
      }
      throw e;
    }
    if (response == null) {
      throw new EngineException("inspect " + id + ": the engine answered nothing", null);
    }
    EngineContainer container = InspectedContainers.container(response);
    String status = InspectedContainers.status(response);
    if (status != null) {
      inspected.put(id, new Inspected(status, container));
    }
    return Optional.of(container);
  }

  @Override
  public boolean imageExists(String image) {
    return images.exists(image);
  }

  @Override
  public String imageUser(String image) {
    return images.user(image);
  }

  @Override
  public Closeable pull(String image, PullSecrets.Credentials credentials, Consumer<String> done) {
    return images.pull(image, credentials, done);
  }

  @Override
  public String create(ContainerSpec spec) {
    ContainerSpec sent = logCapRefused ? spec.withoutLogCap() : spec;
    try {
      JsonNode created = http.call("create " + spec.name(), "POST", "/containers/create?name="
          + EngineHttp.query(sent.name()), CreateRequests.body(sent));
      String id = created == null ? null : InspectedContainers.text(created, "Id");
      if (id == null) {
        throw new EngineException("create " + spec.name() + ": the engine's answer has no container id", null);
      }
      return id;
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
    http.call("start " + id, "POST", "/containers/" + id + "/start", null);
  }

  @Override
  public void kill(String id, String signal) {
    http.call("kill " + id, "POST", "/containers/" + id + "/kill?signal=" + EngineHttp.query(signal), null);
  }

  @Override
  public void remove(String id, boolean force) {
    try {
      http.call("remove " + id, "DELETE", "/containers/" + id + "?force=" + force, null);
    } catch (EngineException e) {
      if (!EngineHttp.notFound(e)) {
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
  public Optional<EngineNetworks.Network> network(String name) {
    return networks.inspect(name);
  }

  @Override
  public void createNetwork(String name, String subnet, String gateway, String bridge, Map<String, String> labels) {
    networks.create(name, subnet, gateway, bridge, labels);
  }

  @Override
  public void removeNetwork(String name) {
    networks.remove(name);
  }

  @Override
  public List<String> containersOn(String name) {
    return networks.containers(name);
  }

  @Override
  public String logs(String id, int tail, int maxBytes) {
    return execs.logs(id, tail, maxBytes);
  }

  @Override
  public Closeable events(String node, Consumer<String> onEvent, Consumer<String> onEnd) {
    return EngineEvents.follow(http, node, event -> {
      String id = EngineEvents.containerId(event);
      if (id != null) {
        inspected.remove(id); // changed behind the manager's back (died, restarted): look again
      }
      Map<String, String> attributes = InspectedContainers.strings(event.path("Actor").path("Attributes"));
      onEvent.accept(attributes.get(Naming.POD_UID));
    }, onEnd);
  }

  @Override
  public Integer exec(String id, List<String> command, Duration timeout) {
    return execs.exec(id, command, timeout);
  }

  @Override
  public void close() {
    http.close();
  }

  /** A failed request's message: the engine's own where it gave one. */
  static String message(Throwable error) {
    return EngineHttp.message(error);
  }
}
