package io.outpost.sync.impl;

import java.util.function.BiConsumer;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Paho's callbacks for one client of {@link MqttLink} (one network connection): every report names the client it
 * came from, so that the link can ignore the late callbacks of a client it has discarded.
 */
final class ConnectionCallbacks implements MqttCallback {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionCallbacks.class);

  /** A message that arrived on a connection; called on Paho's callback thread. */
  interface Arrival {
    void arrived(MqttAsyncClient connection, String topic, MqttMessage message);
  }

  private final MqttAsyncClient connection;
  private final Arrival arrival;
  private final BiConsumer<MqttAsyncClient, String> lost;

  ConnectionCallbacks(MqttAsyncClient connection, Arrival arrival, BiConsumer<MqttAsyncClient, String> lost) {
    this.connection = connection;
    this.arrival = arrival;
    this.lost = lost;
  }

  @Override
  public void messageArrived(String topic, MqttMessage message) {
    arrival.arrived(connection, topic, message);
  }

  @Override
  public void disconnected(MqttDisconnectResponse response) {
    // The broker's DISCONNECT reason (0x82 protocol error, 0x8E session taken over...) says why; keep it.
    String code = response.getReturnCode() == 0 ? "" : " (reason code " + response.getReturnCode() + ")";
    lost.accept(connection, "disconnected: " + response.getReasonString() + code);
  }

  @Override
  public void mqttErrorOccurred(MqttException exception) {
    LOG.warn("MQTT error: {}", EdgeSync.describe(exception));
  }

  @Override
  public void deliveryComplete(IMqttToken token) {
    // Completion is handled per publish by its listener.
  }

  @Override
  public void connectComplete(boolean reconnect, String serverUri) {
    // Subscription and handler notification follow the connect token, see MqttLink.connect().
  }

  @Override
  public void authPacketArrived(int reasonCode, MqttProperties properties) {
    // No enhanced authentication is used.
  }
}
