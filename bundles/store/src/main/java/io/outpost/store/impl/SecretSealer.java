package io.outpost.store.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts stored Secrets with AES-256-GCM (the JDK's implementation) under a key kept in a file of its own (mode
 * 0600, created on first use; in the gateway {@code <data.dir>/identity/store.key}, beside the node's identity). The
 * object's store key is the associated data, so a sealed value cannot be moved to another key. Sealed values start
 * with a marker that JSON never starts with, so values written before encryption existed are still read.
 *
 * <p>What it stops: a copy of the store directory (a backup, a disk image without the key file, a support bundle)
 * reveals no Secret values. What it does not stop: root on the running node, who can read the key file too.
 */
final class SecretSealer {
  private static final byte[] MARKER = {0x00, 'O', 'S', 0x01};
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  private SecretSealer(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /** The sealer whose key is in {@code keyFile}, created (32 random bytes, 0600) if the file does not exist. */
  static SecretSealer open(Path keyFile) {
    try {
      if (!Files.exists(keyFile)) {
        Files.createDirectories(keyFile.getParent());
        byte[] fresh = new byte[32];
        RANDOM.nextBytes(fresh);
        Path tmp = keyFile.resolveSibling(keyFile.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(tmp, fresh);
        try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
          channel.force(true);
        }
        Files.move(tmp, keyFile, StandardCopyOption.ATOMIC_MOVE);
      }
      byte[] key = Files.readAllBytes(keyFile);
      if (key.length != 32) {
        throw new IllegalStateException(keyFile + " must hold a 32-byte key, holds " + key.length + " bytes");
      }
      return new SecretSealer(key);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the store key " + keyFile, e);
    }
  }

  byte[] seal(String storeKey, byte[] plain) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(storeKey.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plain);
      return ByteBuffer.allocate(MARKER.length + NONCE_BYTES + sealed.length).put(MARKER).put(nonce).put(sealed)
          .array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt " + storeKey, e);
    }
  }

  /** The plaintext of a stored value: sealed values are decrypted and checked, older plain ones returned as is. */
  byte[] open(String storeKey, byte[] stored) {
    if (!sealed(stored)) {
      return stored;
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, stored, MARKER.length, NONCE_BYTES));
      cipher.updateAAD(storeKey.getBytes(StandardCharsets.UTF_8));
      return cipher.doFinal(stored, MARKER.length + NONCE_BYTES, stored.length - MARKER.length - NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the stored value of " + storeKey + " cannot be decrypted (wrong store key"
          + " or damaged data)", e);
    }
  }

  static boolean sealed(byte[] stored) {
    return stored.length > MARKER.length + NONCE_BYTES && Arrays.equals(stored, 0, MARKER.length, MARKER, 0,
        MARKER.length);
  }
}
