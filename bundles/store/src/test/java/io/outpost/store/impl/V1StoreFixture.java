package io.outpost.store.impl;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.outpost.protocol.Codec;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the v1 store fixture ({@code src/test/resources/stores/v1-store.tar.gz}) with the store of the release
 * before the store had a schema of its own (commit dd7fa24): a data directory ({@code store/} and
 * {@code identity/store.key}) holding pods with volumes, probes and security settings, ConfigMaps, sealed Secrets,
 * the node's Node, Devices and DeviceModels, a sync position in the middle of a resync (one delete deferred), and
 * delivered and undelivered pod statuses, events and device statuses. Beside it, {@code v1-store-readback.json}: what
 * that store returned when read back through its own API, the expectation of the migration test.
 *
 * <p>Run once: {@code java ... V1StoreFixture <data-dir> <readback.json>}, then pack {@code <data-dir>} with
 * {@code tar -C <data-dir> -czf v1-store.tar.gz store identity}.
 */
public final class V1StoreFixture {
  static final long EPOCH = 1765100000000L;
  private static final Codec CODEC = new Codec();

  public static void main(String[] args) throws Exception {
    Path dataDir = Path.of(args[0]);
    Path readback = Path.of(args[1]);
    try (XodusEdgeStore store = XodusEdgeStore.inDataDir(dataDir, CODEC, 4)) {
      write(store);
      ObjectMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
          .serializationInclusion(JsonInclude.Include.NON_NULL).build();
      Files.write(readback, json.writeValueAsBytes(read(store)));
    }
  }

  private static Downstream down(String json) throws Exception {
    return CODEC.decode(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), Downstream.class);
  }

  private static String ref(String kind, String ns, String name, String uid, String rv) {
    return "\"ref\":{\"kind\":\"" + kind + "\"," + (ns == null ? "" : "\"namespace\":\"" + ns + "\",")
        + "\"name\":\"" + name + "\",\"uid\":\"" + uid + "\",\"resourceVersion\":\"" + rv + "\"}";
  }

  private static String upsert(long seq, String ref, String field, String body) {
    return "{\"v\":1,\"epoch\":" + EPOCH + ",\"seq\":" + seq + ",\"op\":\"UPSERT\"," + ref + ",\"" + field + "\":"
        + body + "}";
  }

  private static final String WEB_POD = """
      {"nodeName":"edge-1","restartPolicy":"Always","terminationGracePeriodSeconds":20,
       "containers":[{"name":"web","image":"docker.io/library/nginx:1.27","imagePullPolicy":"IfNotPresent",
         "command":["nginx"],"args":["-g","daemon off;"],"workingDir":"/srv",
         "env":[{"name":"MODE","value":"edge"},
                {"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}},
                {"name":"LEVEL","valueFrom":{"configMapKeyRef":{"name":"web-config","key":"level","optional":true}}},
                {"name":"POD","valueFrom":{"fieldPath":"metadata.name"}}],
         "envFrom":[{"prefix":"CFG_","configMapRef":{"name":"web-config"}}],
         "resources":{"cpuRequestMillis":100,"cpuLimitMillis":500,"memoryRequestBytes":67108864,
                      "memoryLimitBytes":134217728},
         "ports":[{"name":"http","containerPort":80,"hostPort":8080,"protocol":"TCP"}],
         "volumeMounts":[{"name":"config","mountPath":"/etc/web","readOnly":true},
                         {"name":"cache","mountPath":"/var/cache/nginx"},
                         {"name":"creds","mountPath":"/run/creds","subPath":"password"}],
         "probes":{"liveness":{"httpGet":{"path":"/healthz","port":80,"scheme":"HTTP"},"initialDelaySeconds":5,
                               "periodSeconds":10,"failureThreshold":3},
                   "readiness":{"tcpPort":80,"periodSeconds":5},
                   "startup":{"exec":["cat","/srv/ready"],"failureThreshold":30}},
         "securityContext":{"runAsUser":101,"runAsNonRoot":true,"capDrop":["ALL"],"capAdd":["NET_BIND_SERVICE"],
                            "allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,
                            "seccompProfile":{"type":"RuntimeDefault"}}}],
       "initContainers":[{"name":"init","image":"docker.io/library/busybox:1.36","command":["sh","-c","echo ok"]}],
       "volumes":[{"name":"config","configMap":{"name":"web-config","items":[{"key":"nginx.conf","path":"nginx.conf",
                   "mode":420}],"defaultMode":420}},
                  {"name":"cache","emptyDir":{"medium":"Memory","sizeLimitBytes":33554432}},
                  {"name":"creds","secret":{"name":"db","defaultMode":256}},
                  {"name":"logs","hostPath":{"path":"/var/log/web","type":"DirectoryOrCreate"}},
                  {"name":"bundle","projected":{"sources":[{"configMap":{"name":"web-config"}},
                   {"secret":{"name":"db","optional":true}}],"defaultMode":292}}],
       "imagePullSecrets":["registry"],"hostname":"web-0","subdomain":"web",
       "securityContext":{"runAsUser":1000,"runAsGroup":1000,"supplementalGroups":[2000],"fsGroup":3000,
                          "sysctls":[{"name":"net.ipv4.ip_unprivileged_port_start","value":"0"}],
                          "seccompProfile":{"type":"RuntimeDefault"}}}
      """;

  private static String simplePod(String image, String extra) {
    return "{\"nodeName\":\"edge-1\",\"restartPolicy\":\"OnFailure\",\"containers\":[{\"name\":\"app\",\"image\":\""
        + image + "\"}]" + extra + "}";
  }

  private static void write(XodusEdgeStore store) throws Exception {
    long seq = 100;
    store.apply(Downstream.marker(EPOCH, seq, Downstream.Op.SYNC_BEGIN, "c-first"));
    store.apply(down(upsert(++seq, ref("Pod", "shop", "web-0", "pod-web", "501"), "pod", WEB_POD)));
    store.apply(down(upsert(++seq, ref("Pod", "shop", "worker", "pod-worker", "502"), "pod",
        simplePod("quay.io/outpost/worker:2", ",\"unsupported\":[\"spec.dnsConfig\"]"))));
    store.apply(down(upsert(++seq, ref("Pod", "kube-system", "agent", "pod-agent", "503"), "pod",
        simplePod("quay.io/outpost/agent:1", ",\"securityContext\":{\"hostNetwork\":true,\"hostPID\":true}"))));
    store.apply(down(upsert(++seq, ref("ConfigMap", "shop", "web-config", "cm-web", "504"), "configMap",
        "{\"data\":{\"level\":\"info\",\"nginx.conf\":\"events {}\\nhttp { server { listen 80; } }\\n\"},"
            + "\"binaryData\":{\"logo.png\":\"iVBORw0KGgo=\"}}")));
    store.apply(down(upsert(++seq, ref("ConfigMap", "shop", "old-config", "cm-old", "505"), "configMap",
        "{\"data\":{\"x\":\"1\"}}")));
    store.apply(down(upsert(++seq, ref("Secret", "shop", "db", "sec-db", "506"), "secret",
        "{\"type\":\"Opaque\",\"data\":{\"password\":\"c2VjcmV0LXBhc3N3b3Jk\",\"user\":\"c2hvcA==\"}}")));
    store.apply(down(upsert(++seq, ref("Secret", "shop", "registry", "sec-reg", "507"), "secret",
        "{\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{\".dockerconfigjson\":"
            + "\"eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlIjp7ImF1dGgiOiJkWE5sY2pwd1lYTnoifX19\"}}")));
    store.apply(down(upsert(++seq, ref("Node", null, "edge-1", "node-uid", "508"), "node",
        "{\"labels\":{\"kubernetes.io/hostname\":\"edge-1\",\"site\":\"north\"},"
            + "\"taints\":[{\"key\":\"outpost.io/edge\",\"effect\":\"NoSchedule\"}],\"unschedulable\":false}")));
    store.apply(down(upsert(++seq, ref("DeviceModel", "plant", "thermometer", "dm-th", "509"), "deviceModel",
        "{\"protocol\":\"modbus\",\"properties\":[{\"name\":\"temperature\",\"type\":\"FLOAT\","
            + "\"accessMode\":\"ReadOnly\",\"minimum\":\"-40\",\"maximum\":\"125\"}]}")));
    store.apply(down(upsert(++seq, ref("DeviceModel", "plant", "valve", "dm-valve", "510"), "deviceModel",
        "{\"protocol\":\"mqtt\",\"properties\":[{\"name\":\"open\",\"type\":\"BOOLEAN\","
            + "\"accessMode\":\"ReadWrite\"}]}")));
    store.apply(down(upsert(++seq, ref("Device", "plant", "boiler-temp", "dev-th", "511"), "device",
        "{\"model\":\"thermometer\",\"protocol\":\"modbus\",\"protocolConfig\":{\"host\":\"10.0.0.7\","
            + "\"port\":\"502\"},\"properties\":[{\"name\":\"temperature\",\"visitorConfig\":{\"register\":"
            + "\"HoldingRegister\",\"offset\":\"3\"},\"collectCycleMillis\":1000,\"reportCycleMillis\":5000,"
            + "\"reportToCloud\":true}]}")));
    store.apply(down(upsert(++seq, ref("Device", "plant", "inlet-valve", "dev-valve", "512"), "device",
        "{\"model\":\"valve\",\"protocolConfig\":{\"topic\":\"plant/valve\"},\"properties\":[{\"name\":\"open\","
            + "\"desired\":\"true\",\"visitorConfig\":{\"path\":\"open\"},\"collectCycleMillis\":2000,"
            + "\"reportCycleMillis\":2000,\"reportToCloud\":true}]}")));
    store.apply(Downstream.marker(EPOCH, ++seq, Downstream.Op.SYNC_END, "c-first"));
    // Live changes: a newer pod, a ConfigMap removed.
    store.apply(down(upsert(++seq, ref("Pod", "shop", "worker", "pod-worker", "520"), "pod",
        simplePod("quay.io/outpost/worker:3", ""))));
    store.apply(Downstream.delete(EPOCH, ++seq, new ObjectRef("ConfigMap", "shop", "old-config", "cm-old", "521")));
    // A resync cut short: it began, deleted the agent pod (deferred to SYNC_END), and never ended.
    seq = 200;
    store.apply(Downstream.marker(EPOCH, seq, Downstream.Op.SYNC_BEGIN, "c-second"));
    store.apply(Downstream.delete(EPOCH, ++seq, new ObjectRef("Pod", "kube-system", "agent", "pod-agent", "530")));
    store.apply(down(upsert(++seq, ref("ConfigMap", "shop", "web-config", "cm-web", "531"), "configMap",
        "{\"data\":{\"level\":\"debug\",\"nginx.conf\":\"events {}\\n\"}}")));

    writeStatuses(store);
    writeEvents(store);
    writeDeviceStatuses(store);
  }

  private static ObjectRef podRef(String name, String uid) {
    return new ObjectRef("Pod", "shop", name, uid, "1");
  }

  private static void writeStatuses(XodusEdgeStore store) {
    var running = PodStatusReport.ContainerStateV1.running("2026-12-07T10:00:00Z");
    var crashed = PodStatusReport.ContainerStateV1.terminated("Error", "exit 1", 1, "2026-12-07T09:00:00Z",
        "2026-12-07T09:59:00Z");
    store.recordStatus(new PodStatusReport(1, "edge-1", podRef("web-0", "pod-web"), "Pending", null, null, null,
        "10.0.0.2", null, List.of(), false));
    store.recordStatus(new PodStatusReport(1, "edge-1", podRef("worker", "pod-worker"), "Running", null, null,
        "10.88.0.5", "10.0.0.2", "2026-12-07T09:00:00Z", List.of(new PodStatusReport.ContainerStatusV1("app",
            "quay.io/outpost/worker:3", "sha256:abc", "podman://1234", true, 2, running, crashed)), false,
        List.of(), true));
    // Delivered: the worker's status leaves the outbox, its last status stays.
    store.pendingStatuses(10).stream().filter(p -> p.uid().equals("pod-worker"))
        .forEach(p -> store.statusDelivered(p.uid(), p.version()));
    store.recordStatus(new PodStatusReport(1, "edge-1", podRef("web-0", "pod-web"), "Running", null, null,
        "10.88.0.4", "10.0.0.2", "2026-12-07T10:00:00Z", List.of(new PodStatusReport.ContainerStatusV1("web",
            "docker.io/library/nginx:1.27", "sha256:def", "podman://5678", false, 0, running, null)), false,
        List.of(new PodStatusReport.ContainerStatusV1("init", "docker.io/library/busybox:1.36", "sha256:0",
            "podman://9", false, 0, PodStatusReport.ContainerStateV1.terminated("Completed", null, 0,
                "2026-12-07T09:59:30Z", "2026-12-07T09:59:31Z"), null)), true));
    store.recordStatus(new PodStatusReport(1, "edge-1", new ObjectRef("Pod", "kube-system", "agent", "pod-agent",
        "1"), "Running", null, null, "10.0.0.2", "10.0.0.2", "2026-12-07T08:00:00Z", List.of(), false));
  }

  private static EventReport event(String id, String uid, String reason, String message, int count, String at) {
    return new EventReport(1, "edge-1", id, podRef("web-0", uid), EventReport.NORMAL, reason, message, count, at, at,
        "spec.containers{web}");
  }

  private static void writeEvents(XodusEdgeStore store) {
    store.recordEvent(event("00000000000000a1", "pod-web", "Pulling", "Pulling image nginx", 1,
        "2026-12-07T09:58:00Z"));
    store.recordEvent(event("00000000000000a2", "pod-web", "Pulled", "Pulled image nginx", 1,
        "2026-12-07T09:58:10Z"));
    store.recordEvent(event("00000000000000a3", "pod-web", "Created", "Created container web", 1,
        "2026-12-07T09:58:11Z"));
    store.recordEvent(event("00000000000000a4", "pod-web", "Started", "Started container web", 1,
        "2026-12-07T09:58:12Z"));
    store.recordEvent(new EventReport(1, "edge-1", "00000000000000a5", podRef("worker", "pod-worker"),
        EventReport.WARNING, "BackOff", "Back-off restarting failed container app", 1, "2026-12-07T09:59:00Z",
        "2026-12-07T09:59:00Z", "spec.containers{app}"));
    // A repeat of the newest under the same id: merged (count 3), not appended.
    store.recordEvent(new EventReport(1, "edge-1", "00000000000000a5", podRef("worker", "pod-worker"),
        EventReport.WARNING, "BackOff", "Back-off restarting failed container app", 3, "2026-12-07T09:59:00Z",
        "2026-12-07T09:59:40Z", "spec.containers{app}"));
    // Delivered: the oldest pending one.
    store.eventDelivered(store.pendingEvents(1).get(0));
  }

  private static void writeDeviceStatuses(XodusEdgeStore store) {
    ObjectRef th = new ObjectRef("Device", "plant", "boiler-temp", "dev-th", "511");
    ObjectRef valve = new ObjectRef("Device", "plant", "inlet-valve", "dev-valve", "512");
    store.recordDeviceStatus(new DeviceStatusReport(1, "edge-1", th, DeviceStatusReport.ONLINE, null, null,
        "2026-12-07T10:00:00Z", List.of(new DeviceStatusReport.TwinV1("temperature", "71.5", "2026-12-07T10:00:00Z",
            null, null, null))));
    store.recordDeviceStatus(new DeviceStatusReport(1, "edge-1", valve, DeviceStatusReport.OFFLINE, "Unreachable",
        "connection refused", null, List.of(new DeviceStatusReport.TwinV1("open", null, null, "true",
            "WriteFailed", "not connected"))));
    store.pendingDeviceStatuses(10).stream().filter(p -> p.uid().equals("dev-th"))
        .forEach(p -> store.deviceStatusDelivered(p.uid(), p.version()));
  }

  /** Everything the store returns through its API, by name, for the migration test to compare. */
  static Map<String, Object> read(XodusEdgeStore store) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("position", store.position());
    out.put("held", store.held());
    out.put("pods", store.pods());
    Map<String, Object> configMaps = new LinkedHashMap<>();
    Map<String, Object> secrets = new LinkedHashMap<>();
    Map<String, Object> models = new LinkedHashMap<>();
    for (String name : List.of("web-config", "old-config")) {
      store.configMap("shop", name).ifPresent(v -> configMaps.put("shop/" + name, v));
    }
    for (String name : List.of("db", "registry")) {
      store.secret("shop", name).ifPresent(v -> secrets.put("shop/" + name, v));
    }
    for (String name : List.of("thermometer", "valve")) {
      store.deviceModel("plant", name).ifPresent(v -> models.put("plant/" + name, v));
    }
    out.put("configMaps", configMaps);
    out.put("secrets", secrets);
    out.put("node", store.node("edge-1").orElseThrow());
    out.put("devices", store.devices());
    out.put("deviceModels", models);
    Map<String, Object> last = new LinkedHashMap<>();
    for (String uid : List.of("pod-web", "pod-worker", "pod-agent")) {
      store.lastStatus(uid).ifPresent(v -> last.put(uid, v));
    }
    out.put("lastStatuses", last);
    out.put("pendingStatuses", store.pendingStatuses(100));
    out.put("pendingEvents", store.pendingEvents(100));
    out.put("eventsDropped", store.eventsDropped());
    Map<String, Object> lastDevice = new LinkedHashMap<>();
    for (String uid : List.of("dev-th", "dev-valve")) {
      store.lastDeviceStatus(uid).ifPresent(v -> lastDevice.put(uid, v));
    }
    out.put("lastDeviceStatuses", lastDevice);
    out.put("pendingDeviceStatuses", new ArrayList<>(store.pendingDeviceStatuses(100)));
    return out;
  }
}
