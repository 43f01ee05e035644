// Cases for archreview's Semgrep pack (written for tests/test_external_analyzers.py): a `ruleid:` comment says the
// next line must be reported by that rule, an `ok:` comment that it must not; no other line may be reported.
import java.io.*;
import java.security.*;
import javax.crypto.*;
import javax.crypto.spec.*;
import javax.servlet.http.*;
import javax.xml.parsers.*;

public class Rules {
    // ruleid: java-hardcoded-secret
    private static final String DB_PASSWORD = "s3cr3t-Pa55";

    public void sql(HttpServletRequest request, Connection connection, String name) throws Exception {
        Statement statement = connection.createStatement();
        // ruleid: java-sql-concat, java-sql-built-query
        statement.executeQuery("SELECT * FROM users WHERE name = '" + name + "'");
        String query = "DELETE FROM orders WHERE id = " + name;
        // ruleid: java-sql-concat, java-sql-built-query
        statement.executeUpdate(query);
        // ok: java-sql-concat, java-sql-built-query
        statement.executeUpdate("DELETE FROM orders WHERE id = 1");
        PreparedStatement safe = connection.prepareStatement("SELECT * FROM users WHERE name = ?");
        // ok: java-sql-tainted
        safe.setString(1, request.getParameter("name"));
        String id = request.getParameter("id");
        // ruleid: java-sql-tainted
        statement.execute(id);
        int number = Integer.parseInt(request.getParameter("n"));
        // ok: java-sql-tainted
        statement.execute(String.valueOf(number));
        // ok: java-sql-tainted
        getPersonUseCase.execute(id);
    }

    public void commands(String host) throws IOException {
        // ruleid: java-command-injection
        Runtime.getRuntime().exec("ping -c 1 " + host);
        // ruleid: java-command-injection
        new ProcessBuilder("sh", "-c", host).start();
        // ok: java-command-injection
        new ProcessBuilder("xdg-open", new java.io.File(host).getAbsolutePath()).start();
        // ok: java-command-injection
        Runtime.getRuntime().exec("uptime");
        // ok: java-command-injection
        new ProcessBuilder("ls", "-l").start();
    }

    public void files(HttpServletRequest request) throws IOException {
        String name = request.getParameter("file");
        // ruleid: java-path-traversal
        FileInputStream in = new FileInputStream("/data/" + name);
        // ok: java-path-traversal
        FileInputStream fixed = new FileInputStream("/data/report.txt");
        // ok: java-path-traversal
        File safe = new File("/data", FilenameUtils.getName(name));
    }

    public void page(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String who = request.getParameter("who");
        // ruleid: java-xss-response
        response.getWriter().println("<p>Hello " + who + "</p>");
        // ok: java-xss-response
        response.getWriter().println("<p>Hello " + ESAPI.encoder().encodeForHTML(who) + "</p>");
        // ruleid: java-open-redirect
        response.sendRedirect(request.getParameter("next"));
        // ok: java-open-redirect
        response.sendRedirect("/home");
    }

    public void directory(DirContext ctx, String user, XPath xpath, Document doc) throws Exception {
        // ruleid: java-ldap-injection
        ctx.search("ou=people,dc=example,dc=com", "(uid=" + user + ")", new SearchControls());
        // ok: java-ldap-injection
        ctx.search("ou=people,dc=example,dc=com", "(uid={0})", new Object[] {user}, new SearchControls());
        // ruleid: java-xpath-injection
        xpath.evaluate("/users/user[@name='" + user + "']", doc);
        // ok: java-xpath-injection
        xpath.evaluate("/users/user[@name=$name]", doc);
    }

    public Object scripts(ScriptEngine engine, String expression) throws Exception {
        // ruleid: java-code-injection
        engine.eval(expression);
        // ok: java-code-injection
        return engine.eval("1 + 1");
    }

    public void crypto(byte[] data) throws Exception {
        // ruleid: java-weak-hash
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        // ok: java-weak-hash
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        // ruleid: java-weak-hash
        String hex = DigestUtils.sha1Hex(data);
        // ruleid: java-weak-cipher
        Cipher des = Cipher.getInstance("DES/CBC/PKCS5Padding");
        // ruleid: java-weak-cipher
        Cipher ecb = Cipher.getInstance("AES/ECB/PKCS5Padding");
        // ruleid: java-weak-cipher
        Cipher plain = new NullCipher();
        // ok: java-weak-cipher
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        // ok: java-weak-cipher
        Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
        // ruleid: java-static-iv
        IvParameterSpec iv = new IvParameterSpec(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
        // ok: java-static-iv
        IvParameterSpec random = new IvParameterSpec(nonce(16));
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        // ruleid: java-weak-key-size
        generator.initialize(1024);
        // ok: java-weak-key-size
        generator.initialize(3072);
        // ruleid: java-weak-tls-protocol
        SSLContext ssl = SSLContext.getInstance("SSLv3");
        // ok: java-weak-tls-protocol
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
    }

    public String generateResetToken() {
        // ruleid: java-insecure-random
        return Long.toHexString(new Random().nextLong());
    }

    public int rollDice() {
        // ok: java-insecure-random
        return new Random().nextInt(6) + 1;
    }

    public Document parse(InputStream in) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        // ruleid: java-xxe
        return factory.newDocumentBuilder().parse(in);
    }

    public Document parseSafely(InputStream in) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        // ok: java-xxe
        return factory.newDocumentBuilder().parse(in);
    }

    public Object load(InputStream in, ObjectMapper mapper) throws Exception {
        ObjectInputStream objects = new ObjectInputStream(in);
        // ruleid: java-insecure-deserialization
        Object value = objects.readObject();
        // ruleid: java-insecure-deserialization
        mapper.enableDefaultTyping();
        // ok: java-insecure-deserialization
        return mapper.readValue(in, Order.class);
    }

    public void quiet() {
        // ruleid: java-empty-catch
        try { Thread.sleep(10); } catch (InterruptedException e) {}
        // ok: java-empty-catch
        try { Thread.sleep(10); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

    static class TrustEveryone implements X509TrustManager {
        // ruleid: java-trust-all-certificates
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}
        // ok: java-trust-all-certificates
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException { throw new CertificateException("no client certificates"); }
    }

    static class ReturnsAtOnce implements X509TrustManager {
        // ruleid: java-trust-all-certificates
        public void checkServerTrusted(X509Certificate[] chain, String authType) { return; }
        // ok: java-trust-all-certificates
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}
    }

    public void protocols(SSLSocket socket, SSLEngine engine) throws Exception {
        // ruleid: java-weak-tls-protocol
        socket.setEnabledProtocols(new String[] {"TLSv1", "TLSv1.2"});
        // ok: java-weak-tls-protocol
        engine.setEnabledProtocols(new String[] {"TLSv1.2", "TLSv1.3"});
        // ruleid: java-weak-cipher
        SecretKeyFactory pbe = SecretKeyFactory.getInstance("PBEWithMD5AndDES");
        // ok: java-weak-cipher
        SecretKeyFactory pbkdf2 = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
        // ruleid: java-hardcoded-secret
        char[] passphrase = "correct-horse".toCharArray();
        // ruleid: java-hardcoded-secret
        String storePassword = "changeit-prod";
        // ok: java-hardcoded-secret
        KeyStore.getInstance("PKCS12").load(in, configured.toCharArray());
        String material = "0123456789abcdef";
        // ruleid: java-hardcoded-key
        SecretKeySpec fromName = new SecretKeySpec(material.getBytes(), "AES");
        // ok: java-hardcoded-key
        SecretKeySpec loaded = new SecretKeySpec(Base64.getDecoder().decode(System.getenv("AES_KEY")), "AES");
    }

    static class VerificationCodes {
        String sms() {
            Random random = new SecureRandom();
            // ok: java-insecure-random
            return String.valueOf(100000 + random.nextInt(900000));
        }
    }

    public void cookies(HttpServletResponse response, String session) {
        // ruleid: java-cookie-not-secure
        Cookie cookie = new Cookie("session", session);
        cookie.setSecure(true);
        response.addCookie(cookie);
    }

    public void sockets(String host) throws IOException {
        // ruleid: java-plain-socket
        Socket socket = new Socket(host, 80);
        // ok: java-plain-socket
        Socket tls = SSLSocketFactory.getDefault().createSocket(host, 443);
        // ruleid: java-weak-key-spec
        RSAKeyGenParameterSpec spec = new RSAKeyGenParameterSpec(512, RSAKeyGenParameterSpec.F4);
        // ok: java-weak-key-spec
        RSAKeyGenParameterSpec strong = new RSAKeyGenParameterSpec(4096, RSAKeyGenParameterSpec.F4);
    }

    static class SessionIds {
        String next() {
            // ruleid: java-insecure-random
            return Integer.toString(new Random().nextInt());
        }
    }

    public void secureCookies(HttpServletResponse response, String session) {
        // ok: java-cookie-not-secure
        Cookie cookie = new Cookie("session", session);
        cookie.setSecure(true);
        cookie.setHttpOnly(true);
        response.addCookie(cookie);
    }

    protected void configure(HttpSecurity http, HttpServletResponse response) throws Exception {
        // ruleid: java-csrf-disabled
        http.csrf().disable();
        // ok: java-csrf-disabled
        http.cors();
        // ruleid: java-cors-any-origin
        response.setHeader("Access-Control-Allow-Origin", "*");
        // ok: java-cors-any-origin
        response.setHeader("Access-Control-Allow-Origin", "https://app.example.com");
    }

    public void secrets(String url, String user, String configured) throws Exception {
        // ruleid: java-hardcoded-secret
        String apiKey = "AKIA1234567890EXAMPLE";
        // ok: java-hardcoded-secret
        String password = configured;
        // ruleid: java-hardcoded-secret
        Connection c = DriverManager.getConnection(url, user, "tiger");
        // ruleid: java-hardcoded-key
        SecretKeySpec key = new SecretKeySpec("0123456789abcdef".getBytes(), "AES");
        // ruleid: java-plain-http
        URL endpoint = new URL("http://api.example.com/v1");
        // ok: java-plain-http
        URL local = new URL("https://api.example.com/v1");
        // ruleid: java-secret-in-log
        log.info("login with " + password);
        // ok: java-secret-in-log
        log.info("login for " + user);
        // ruleid: java-secret-in-log, java-secret-logged-through-variable
        log.debug("reset " + user + " to " + account.getPassword());
        // ruleid: java-secret-in-log, java-secret-logged-through-variable
        logger.info("login " + request.getParameter("user") + " " + request.getParameter("password"));
        // ok: java-secret-in-log
        logger.info("login " + request.getParameter("user"));
    }

    // tenth round (h3)
    static java.util.List<String> fetchAll(java.sql.Connection cxn) {
        java.util.List<String> out = new java.util.ArrayList<>();
        try {
            cxn.createStatement();
        } catch (Exception e) {
            e.printStackTrace();
        } finally {
            // ruleid: java-return-in-finally
            return out;
        }
    }

    static String closeInFinally(java.sql.Connection cxn) throws Exception {
        try {
            // ok: java-return-in-finally
            return cxn.getSchema();
        } finally {
            cxn.close();
        }
    }

    static java.sql.Connection connect(String url) {
        try {
            return java.sql.DriverManager.getConnection(url);
        } catch (Exception e) {
            // ruleid: java-exit-in-handler
            System.exit(1);
        }
        return null;
    }

    public static void main(String[] args) {
        try {
            connect(args[0]);
        } catch (RuntimeException e) {
            // ok: java-exit-in-handler
            System.exit(2);
        }
    }

    static void save(Runnable commit) {
        try {
            commit.run();
        } catch (IllegalStateException e) {
            // ok: java-exception-cause-dropped
            throw new IllegalArgumentException("could not save", e);
        } catch (Exception e) {
            // ruleid: java-exception-cause-dropped
            throw new IllegalStateException(e.getMessage());
        }
    }

    static void authorize(Runnable check) {
        try {
            check.run();
        } catch (Exception e) {
            e.printStackTrace();
            // ok: java-exception-cause-dropped
            throw new SecurityException(e.getMessage());
        }
    }

    static void cowsay(String input) throws java.io.IOException {
        ProcessBuilder processBuilder = new ProcessBuilder();
        String cmd = "/usr/games/cowsay '" + input + "'";
        // ruleid: java-shell-command-built
        processBuilder.command("bash", "-c", cmd);
        // ok: java-shell-command-built
        processBuilder.command("bash", "-c", "uptime");
    }

    static boolean routing(String value) {
        // ruleid: java-regex-nested-quantifier
        java.util.regex.Pattern unsafe = java.util.regex.Pattern.compile("([0-9]+)+#");
        // ok: java-regex-nested-quantifier
        java.util.regex.Pattern safe = java.util.regex.Pattern.compile("([0-9]+)#");
        return unsafe.matcher(value).matches() && safe.matcher(value).matches();
    }

    // round 14: a password read into a variable, then logged; a card number named by the message
    static void audit(java.sql.ResultSet rs, String number) throws Exception {
        String name = rs.getString("username");
        String pwd = rs.getString("password");
        String line = String.format("%s: %s", name, pwd);
        // ruleid: java-secret-logged-through-variable
        logger.info(line);
        // ok: java-secret-logged-through-variable
        logger.info(String.format("%s logged in", name));
        // ruleid: java-card-number-in-log
        logger.info("Showing info for credit card:" + number);
        // ok: java-card-number-in-log
        logger.info("Showing info for account:" + number);
    }
}
