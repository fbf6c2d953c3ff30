package io.outpost.identity.impl;

import io.outpost.identity.NodeCredentials;
import io.outpost.identity.NodeIdentity;
import java.nio.file.Path;
import java.time.Clock;
import javax.net.ssl.SSLContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;

/**
 * This node's {@link NodeCredentials} as a service, for the sync. Configured like the link the credentials are for:
 * {@code io.outpost.sync} and the node-wide {@code io.outpost.node} (which wins). A change applies live
 * ({@link #modified}): the next connect or renewal uses the new directory and join keys; other keys change nothing.
 */
@Component(service = NodeCredentials.class, configurationPid = {"io.outpost.sync", "io.outpost.node"},
    configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class NodeCredentialsComponent implements NodeCredentials {
  private volatile NodeCredentials.Enrollment enrollment;
  private volatile NodeCredentials delegate;

  @Activate
  public NodeCredentialsComponent(CredentialsConfig config) {
    modified(config);
  }

  /** Keeps the credentials (and their renewal schedule) unless the directory or the join keys changed. */
  @Modified
  void modified(CredentialsConfig config) {
    NodeCredentials.Enrollment next = enrollment(config);
    if (!next.equals(enrollment)) {
      enrollment = next;
      delegate = NodeCredentials.of(next, Clock.systemUTC());
    }
  }

  /** The keys as the credentials use them; an empty identity.dir is {@code <karaf.data>/outpost/identity}. */
  static NodeCredentials.Enrollment enrollment(CredentialsConfig config) {
    String dir = config.identity_dir() == null || config.identity_dir().isBlank()
        ? System.getProperty("karaf.data", "data") + "/outpost/identity" : config.identity_dir().trim();
    return new NodeCredentials.Enrollment(config.node_name() == null ? "" : config.node_name().trim(), Path.of(dir),
        trim(config.join_url()), trim(config.join_token()), trim(config.join_ca()));
  }

  private static String trim(String value) {
    return value == null ? "" : value.trim();
  }

  @Override
  public SSLContext tls() {
    return delegate.tls();
  }

  @Override
  public NodeIdentity join(String url, String token, String caFingerprint) {
    return delegate.join(url, token, caFingerprint);
  }

  @Override
  public boolean renewIfDue() {
    return delegate.renewIfDue();
  }
}
