package io.outpost.containers.impl;

import java.io.Closeable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** Passes every call to a real engine and counts the ones that change something. */
final class CountingEngine implements ContainerEngine {
  private final ContainerEngine delegate;
  final AtomicInteger pulls = new AtomicInteger();
  final AtomicInteger creates = new AtomicInteger();
  final AtomicInteger starts = new AtomicInteger();
  final AtomicInteger fullLists = new AtomicInteger();
  final AtomicInteger versions = new AtomicInteger();
  /** How many containers had been started when the version was first asked; -1 before. */
  final AtomicInteger startsBeforeFirstVersion = new AtomicInteger(-1);

  CountingEngine(ContainerEngine delegate) {
    this.delegate = delegate;
  }

  @Override
  public String version() {
    if (versions.getAndIncrement() == 0) {
      startsBeforeFirstVersion.set(starts.get());
    }
    return delegate.version();
  }

  @Override
  public List<EngineContainer> list(String node) {
    fullLists.incrementAndGet();
    return delegate.list(node);
  }

  @Override
  public List<EngineContainer> list(String node, String podUid) {
    return delegate.list(node, podUid);
  }

  @Override
  public Optional<EngineContainer> inspect(String id) {
    return delegate.inspect(id);
  }

  @Override
  public boolean imageExists(String image) {
    return delegate.imageExists(image);
  }

  @Override
  public String imageUser(String image) {
    return delegate.imageUser(image);
  }

  @Override
  public Closeable pull(String image, PullSecrets.Credentials credentials, Consumer<String> done) {
    pulls.incrementAndGet();
    return delegate.pull(image, credentials, done);
  }

  @Override
  public String create(ContainerSpec spec) {
    creates.incrementAndGet();
    return delegate.create(spec);
  }

  @Override
  public void start(String id) {
    starts.incrementAndGet();
    delegate.start(id);
  }

  @Override
  public void kill(String id, String signal) {
    delegate.kill(id, signal);
  }

  @Override
  public void remove(String id, boolean force) {
    delegate.remove(id, force);
  }

  @Override
  public void createVolume(String name, Map<String, String> driverOptions, Map<String, String> labels) {
    delegate.createVolume(name, driverOptions, labels);
  }

  @Override
  public Map<String, String> volumes(String node) {
    return delegate.volumes(node);
  }

  @Override
  public void removeVolume(String name) {
    delegate.removeVolume(name);
  }

  @Override
  public java.io.Closeable events(String node, java.util.function.Consumer<String> onEvent,
      java.util.function.Consumer<String> onEnd) {
    return delegate.events(node, onEvent, onEnd);
  }

  @Override
  public Integer exec(String id, List<String> command, java.time.Duration timeout) {
    return delegate.exec(id, command, timeout);
  }

  @Override
  public java.util.Optional<EngineStats> stats(String id) {
    return delegate.stats(id);
  }

  @Override
  public String logs(String id, int tail, int maxBytes) {
    return delegate.logs(id, tail, maxBytes);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public Optional<EngineNetworks.Network> network(String name) {
    return delegate.network(name);
  }

  @Override
  public void createNetwork(String name, String subnet, String gateway, String bridge, Map<String, String> labels) {
    delegate.createNetwork(name, subnet, gateway, bridge, labels);
  }

  @Override
  public void removeNetwork(String name) {
    delegate.removeNetwork(name);
  }

  @Override
  public List<String> containersOn(String name) {
    return delegate.containersOn(name);
  }
}
