package io.outpost.devices.kura.telemetry;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Outpost Kura telemetry", description = "Publishes device values as they change in"
    + " Eclipse Kura's format: topic <account>/<client.id>/<app.id>/<namespace>/<device>, KuraPayload protobuf.")
public @interface KuraTelemetryConfig {
  @AttributeDefinition(description = "MQTT broker of the Kura/Kapua-style consumer, tcp://host:port or"
      + " ssl://host:port.")
  String broker_url();

  @AttributeDefinition(description = "Kura account name: the first topic level.")
  String account_name() default "outpost";

  @AttributeDefinition(description = "Kura client id: the second topic level, and the MQTT client id; usually"
      + " the node's name.")
  String client_id();

  @AttributeDefinition(description = "Kura application id: the third topic level.")
  String app_id() default "outpost-devices";

  @AttributeDefinition(description = "MQTT QoS of telemetry (0 or 1).")
  int qos() default 1;

  @AttributeDefinition(description = "Messages kept while the broker is away; beyond it the oldest are dropped.")
  int buffer_max() default 1000;

  @AttributeDefinition(description = "MQTT user name, if the broker wants one.")
  String username() default "";

  @AttributeDefinition(description = "MQTT password.", type = org.osgi.service.metatype.annotations.AttributeType
      .PASSWORD)
  String password() default "";
}
