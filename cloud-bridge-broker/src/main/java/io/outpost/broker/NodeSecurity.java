package io.outpost.broker;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthInput;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthOutput;
import com.hivemq.extension.sdk.api.auth.parameter.TopicPermission;
import com.hivemq.extension.sdk.api.packets.auth.DefaultAuthorizationBehaviour;
import com.hivemq.extension.sdk.api.packets.auth.ModifiableDefaultPermissions;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import io.outpost.identity.Pki;
import io.outpost.protocol.Topics;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded broker's security, as an embedded HiveMQ extension: a client is who its TLS client certificate says
 * (the CN; the listener only accepts certificates from the bridge's CA), a revoked node is refused, a node may only
 * subscribe to its own downstream and stream topics and the bridge's announcement and only publish under its own {@code up/}
 * subtree, the bridge ({@code CN=outpost-bridge}) may use the whole {@code outpost/v1/} tree. Every publish is
 * stamped with the sender's identity in the user property {@value #SENDER} (a client-supplied one is removed), so
 * the bridge can check the sender of every upstream message itself.
 */
final class NodeSecurity implements ExtensionMain {
  private static final Logger LOG = LoggerFactory.getLogger(NodeSecurity.class);
  /** User property carrying the authenticated sender on every message the broker delivers. */
  static final String SENDER = "outpost-sender";
  private static final String IDENTITY = "outpost-identity";
  static final String BRIDGE = "outpost-bridge";
  /** Nodes connect as {@code outpost-edge-<node>} (the edge's default client id). */
  static final String NODE_CLIENT_PREFIX = "outpost-edge-";

  /** How often connected nodes are checked against the revocations. */
  static final java.time.Duration REVOCATION_CHECK = java.time.Duration.ofSeconds(30);

  private final Predicate<X509Certificate> revoked;
  /** Client id → certificate of the nodes connected through this broker. */
  private final java.util.Map<String, X509Certificate> connected = new java.util.concurrent.ConcurrentHashMap<>();

  NodeSecurity(Predicate<X509Certificate> revoked) {
    this.revoked = revoked;
  }

  /**
   * Disconnects every connected node that has been revoked since it connected (it cannot come back: the
   * authenticator refuses it) and forgets clients that are gone.
   */
  void closeRevoked() {
    connected.forEach((clientId, certificate) -> {
      try { // one failed check (the Kubernetes API away) must not end the periodic sweep
        if (revoked.test(certificate)) {
          LOG.warn("Disconnecting {} ({}): the node was revoked", clientId, Pki.commonName(certificate));
          connected.remove(clientId);
          Services.clientService().disconnectClient(clientId, false,
              com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode.NOT_AUTHORIZED, "node revoked");
        } else {
          Services.clientService().isClientConnected(clientId).thenAccept(up -> {
            if (!up) {
              connected.remove(clientId, certificate);
            }
          });
        }
      } catch (RuntimeException e) {
        LOG.warn("Checking whether {} was revoked failed: {}", clientId, e.getMessage());
      }
    });
  }

  @Override
  public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
    Services.securityRegistry().setAuthenticatorProvider(provider -> (SimpleAuthenticator) this::authenticate);
    Services.initializerRegistry().setClientInitializer((initializer, client) ->
        client.addPublishInboundInterceptor((publishInput, publishOutput) -> {
          String identity = publishInput.getConnectionInformation().getConnectionAttributeStore()
              .getAsString(IDENTITY).orElse("");
          var properties = publishOutput.getPublishPacket().getUserProperties();
          properties.removeName(SENDER);
          properties.addUserProperty(SENDER, identity);
        }));
    Services.extensionExecutorService().scheduleWithFixedDelay(this::closeRevoked, REVOCATION_CHECK.toSeconds(),
        REVOCATION_CHECK.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
  }

  private void authenticate(SimpleAuthInput input, SimpleAuthOutput output) {
    Optional<X509Certificate> certificate = input.getConnectionInformation().getClientTlsInformation()
        .flatMap(tls -> tls.getClientCertificate());
    if (certificate.isEmpty()) {
      LOG.warn("Refused MQTT client {}: no client certificate", input.getClientInformation().getClientId());
      output.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "a client certificate is required");
      return;
    }
    String identity = Pki.commonName(certificate.get());
    boolean bridge = BRIDGE.equals(identity);
    if (identity == null || (!bridge && !Topics.isValidNodeName(identity))) {
      output.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "the certificate names no node");
      return;
    }
    String clientId = input.getClientInformation().getClientId();
    // The client id is bound to the certificate, so that no one can take over another client's session (and its
    // subscriptions and queued messages): a node uses exactly outpost-edge-<node>; ids of that form are nodes' only.
    if (bridge ? clientId.startsWith(NODE_CLIENT_PREFIX) : !clientId.equals(NODE_CLIENT_PREFIX + identity)) {
      LOG.warn("Refused MQTT client {}: not the client id of {}", clientId, identity);
      output.failAuthentication(ConnackReasonCode.CLIENT_IDENTIFIER_NOT_VALID, "client id " + clientId
          + " does not belong to " + identity);
      return;
    }
    boolean isRevoked;
    try {
      isRevoked = !bridge && revoked.test(certificate.get());
    } catch (RuntimeException e) {
      LOG.warn("Refused MQTT client {}: its revocation status cannot be checked: {}", clientId, e.getMessage());
      output.failAuthentication(ConnackReasonCode.SERVER_UNAVAILABLE, "revocation status unavailable");
      return;
    }
    if (isRevoked) {
      LOG.warn("Refused MQTT client {}: node {} is revoked", clientId, identity);
      output.failAuthentication(ConnackReasonCode.BANNED, "node " + identity + " is revoked");
      return;
    }
    input.getConnectionInformation().getConnectionAttributeStore().putAsString(IDENTITY, identity);
    ModifiableDefaultPermissions permissions = output.getDefaultPermissions();
    if (bridge) {
      permissions.add(allow(Topics.ROOT + "#", TopicPermission.MqttActivity.ALL));
    } else {
      permissions.add(allow(Topics.down(identity), TopicPermission.MqttActivity.SUBSCRIBE));
      permissions.add(allow(Topics.stream(identity), TopicPermission.MqttActivity.SUBSCRIBE));
      permissions.add(allow(Topics.artifact(identity), TopicPermission.MqttActivity.SUBSCRIBE));
      permissions.add(allow(Topics.BRIDGE_ONLINE, TopicPermission.MqttActivity.SUBSCRIBE));
      permissions.add(allow(Topics.ROOT + identity + "/up/#", TopicPermission.MqttActivity.PUBLISH));
    }
    permissions.setDefaultBehaviour(DefaultAuthorizationBehaviour.DENY);
    if (!bridge) {
      connected.put(clientId, certificate.get());
    }
    output.authenticateSuccessfully();
  }

  private static TopicPermission allow(String filter, TopicPermission.MqttActivity activity) {
    return Builders.topicPermission().topicFilter(filter).type(TopicPermission.PermissionType.ALLOW)
        .activity(activity).build();
  }

  @Override
  public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
    // nothing held
  }
}
