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
 * subscribe to its own downstream topic and the bridge's announcement and only publish under its own {@code up/}
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

  /** How often connected nodes are checked against the revocations. */
  static final java.time.Duration REVOCATION_CHECK = java.time.Duration.ofSeconds(30);

  private final Predicate<String> revoked;
  /** Client id → node identity of the nodes connected through this broker. */
  private final java.util.Map<String, String> connected = new java.util.concurrent.ConcurrentHashMap<>();

  NodeSecurity(Predicate<String> revoked) {
    this.revoked = revoked;
  }

  /**
   * Disconnects every connected node that has been revoked since it connected (it cannot come back: the
   * authenticator refuses it) and forgets clients that are gone.
   */
  void closeRevoked() {
    connected.forEach((clientId, identity) -> {
      if (revoked.test(identity)) {
        LOG.warn("Disconnecting {} ({}): the node was revoked", clientId, identity);
        connected.remove(clientId);
        Services.clientService().disconnectClient(clientId, false,
            com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode.NOT_AUTHORIZED, "node revoked");
      } else {
        Services.clientService().isClientConnected(clientId).thenAccept(up -> {
          if (!up) {
            connected.remove(clientId, identity);
          }
        });
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
    if (!bridge && revoked.test(identity)) {
      LOG.warn("Refused MQTT client {}: node {} is revoked", input.getClientInformation().getClientId(), identity);
      output.failAuthentication(ConnackReasonCode.BANNED, "node " + identity + " is revoked");
      return;
    }
    input.getConnectionInformation().getConnectionAttributeStore().putAsString(IDENTITY, identity);
    ModifiableDefaultPermissions permissions = output.getDefaultPermissions();
    if (bridge) {
      permissions.add(allow(Topics.ROOT + "#", TopicPermission.MqttActivity.ALL));
    } else {
      permissions.add(allow(Topics.down(identity), TopicPermission.MqttActivity.SUBSCRIBE));
      permissions.add(allow(Topics.BRIDGE_ONLINE, TopicPermission.MqttActivity.SUBSCRIBE));
      permissions.add(allow(Topics.ROOT + identity + "/up/#", TopicPermission.MqttActivity.PUBLISH));
    }
    permissions.setDefaultBehaviour(DefaultAuthorizationBehaviour.DENY);
    if (!bridge) {
      connected.put(input.getClientInformation().getClientId(), identity);
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
