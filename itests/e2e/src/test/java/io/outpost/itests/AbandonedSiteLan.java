package io.outpost.itests;

import io.outpost.testing.Mosquitto;
import io.outpost.testing.Podman;
import io.outpost.testing.SiteLan;
import io.outpost.testing.SiteNode;
import java.util.List;

/**
 * A test run that dies without cleaning up, for {@link SiteLanCleanupIT}: in its own JVM it builds a one-node site
 * LAN with its broker (adopted by the run), starts the node's Podman service in the node's namespace and a labelled
 * container on it, prints {@code READY <run> <node> <container> <broker pid>} and waits for stdin to close, which
 * it never sees: the test kills it.
 */
public final class AbandonedSiteLan {
  private AbandonedSiteLan() {}

  public static void main(String[] args) throws Exception {
    SiteLan lan = SiteLan.create(List.of("abandoned"));
    Mosquitto broker = Mosquitto.start(lan.dir().resolve("broker"), List.of(lan.cloudAddress()));
    lan.adopt(broker.pid());
    SiteNode node = SiteNode.install(lan, 0, broker.url(lan.cloudAddress()));
    String container = node.podman().remote("run", "-d", "--label", "io.outpost.node=" + node.name(),
        Podman.TEST_IMAGE, "sleep", "3600").strip();
    System.out.println("READY " + lan.run() + " " + node.name() + " " + container + " " + broker.pid());
    System.out.flush();
    System.in.read(); // killed before
  }
}
