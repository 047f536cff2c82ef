package com.necpgame.mesh.testsupport;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made in the test JVM, and PKCS12 key and trust stores of certificates it signs: a broker's
 * (for 127.0.0.1 and localhost, so clients verify the host name as they do by default) and clients' (for mTLS). EC
 * P-256 keys, valid for two days, never written outside the test's directory. Stores come as PKCS12 or as PEM files.
 */
public final class TestCertificates {

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private final X500Name name;
  private final KeyPair keys;
  private final X509Certificate certificate;

  private TestCertificates(X500Name name, KeyPair keys, X509Certificate certificate) {
    this.name = name;
    this.keys = keys;
    this.certificate = certificate;
  }

  /** A new self-signed authority. */
  public static TestCertificates authority(String commonName) throws Exception {
    X500Name name = new X500Name("CN=" + commonName);
    KeyPair keys = keyPair();
    X509v3CertificateBuilder builder = builder(name, name, keys)
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return new TestCertificates(name, keys, sign(builder, keys));
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * A PKCS12 key store at {@code file} holding one key (alias {@code commonName}) and its chain: a certificate this
   * authority signed for server and client use, naming 127.0.0.1 and localhost.
   */
  public Path keyStore(Path file, String commonName, String password) throws Exception {
    KeyPair leaf = keyPair();
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry(commonName, leaf.getPrivate(), password.toCharArray(),
        new Certificate[] {leaf(commonName, leaf), certificate});
    return write(store, file, password);
  }

  /**
   * The same as one PEM file, as Kafka's {@code ssl.keystore.type=PEM} reads it: the unencrypted PKCS#8 key, then the
   * certificate and this authority's.
   */
  public Path pemKeyStore(Path file, String commonName) throws Exception {
    KeyPair leaf = keyPair();
    Files.createDirectories(file.toAbsolutePath().getParent());
    return Files.writeString(file, pem("PRIVATE KEY", leaf.getPrivate().getEncoded())
        + pem("CERTIFICATE", leaf(commonName, leaf).getEncoded()) + pem("CERTIFICATE", certificate.getEncoded()));
  }

  /** This authority's certificate as a PEM file ({@code ssl.truststore.type=PEM}). */
  public Path pemTrustStore(Path file) throws Exception {
    Files.createDirectories(file.toAbsolutePath().getParent());
    return Files.writeString(file, pem("CERTIFICATE", certificate.getEncoded()));
  }

  private X509Certificate leaf(String commonName, KeyPair leaf) throws Exception {
    X509v3CertificateBuilder builder = builder(name, new X500Name("CN=" + commonName), leaf)
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
        .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
    return sign(builder, keys);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  /** A PKCS12 trust store at {@code file} holding this authority's certificate alone. */
  public Path trustStore(Path file, String password) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("ca", certificate);
    return write(store, file, password);
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    return generator.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
  }

  private static Path write(KeyStore store, Path file, String password) throws Exception {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password.toCharArray());
    }
    return file;
  }
}
