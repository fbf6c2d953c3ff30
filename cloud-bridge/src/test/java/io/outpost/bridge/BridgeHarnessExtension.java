package io.outpost.bridge;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.testing.Trees;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link BridgeHarness} per test: before each test it starts one (broker and bridge, in a temporary directory of
 * its own) on the test class's static fabric8 mock client and puts it in the test's {@code BridgeHarness} field;
 * after the test it closes it and removes the directory. Declare it after {@code @EnableKubernetesMockClient}, whose
 * client it uses (and which then closes after it).
 */
final class BridgeHarnessExtension implements BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(BridgeHarnessExtension.class);

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    Object test = context.getRequiredTestInstance();
    Field target = field(context.getRequiredTestClass(), BridgeHarness.class, false);
    KubernetesClient client = (KubernetesClient) field(context.getRequiredTestClass(), KubernetesClient.class, true)
        .get(null);
    Path dir = Files.createTempDirectory("outpost-bridge-test");
    context.getStore(NAMESPACE).put("dir", dir);
    BridgeHarness harness;
    try {
      harness = BridgeHarness.start(dir, client);
    } catch (Exception | AssertionError e) {
      Trees.deleteTree(dir);
      throw e;
    }
    context.getStore(NAMESPACE).put("harness", harness);
    target.set(test, harness);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    BridgeHarness harness = context.getStore(NAMESPACE).remove("harness", BridgeHarness.class);
    Path dir = context.getStore(NAMESPACE).remove("dir", Path.class);
    try {
      if (harness != null) {
        harness.close();
      }
    } finally {
      if (dir != null) {
        Trees.deleteTree(dir);
      }
    }
  }

  private static Field field(Class<?> type, Class<?> of, boolean isStatic) {
    Field field = Arrays.stream(type.getDeclaredFields())
        .filter(f -> f.getType() == of && Modifier.isStatic(f.getModifiers()) == isStatic).findFirst()
        .orElseThrow(() -> new IllegalStateException(type.getSimpleName() + " has no " + (isStatic ? "static " : "")
            + of.getSimpleName() + " field"));
    field.setAccessible(true);
    return field;
  }
}
