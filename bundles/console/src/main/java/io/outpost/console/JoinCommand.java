package io.outpost.console;

import io.outpost.sync.SyncService;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code outpost:join <bridge-url> <token> <ca-fingerprint>}: makes this node's key pair here, has the bridge's CA
 * sign a certificate for this node's name with a one-time token, and connects with it. The private key never
 * leaves the node; the token cannot be used twice or for another name.
 */
@Command(scope = "outpost", name = "join", description = "Joins this node to the bridge with a one-time token")
@Service
public class JoinCommand implements Action {
  @Reference
  SyncService sync;

  @Argument(index = 0, name = "bridge-url", required = true, description = "the join endpoint, https://host:9443")
  String url;

  @Argument(index = 1, name = "token", required = true, description = "the one-time token from 'token create'")
  String token;

  @Argument(index = 2, name = "ca-fingerprint", required = true,
      description = "the bridge CA's fingerprint (sha256:...), printed with the token")
  String ca;

  @Override
  public Object execute() {
    try {
      System.out.println("Joined: " + sync.join(url, token, ca) + "; connecting with it.");
    } catch (IllegalStateException | IllegalArgumentException e) {
      System.out.println("Join failed: " + e.getMessage()); // the console shows it; nothing was stored
    }
    return null;
  }
}
