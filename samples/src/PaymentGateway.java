import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;

public class PaymentGateway {
    private static final String ENDPOINT =
        "https://pay.acme-internal.net/charge";  // @flaw configuration
    private final String merchantId;

    public PaymentGateway(String merchantId) {
        this.merchantId = merchantId;
    }

    public int charge(String orderId, long cents) throws IOException {
        URL url = new URL(ENDPOINT + "?order=" + orderId + "&cents=" + cents);
        HttpURLConnection conn = (HttpURLConnection) url.openConnection();  // @flaw resilience
        conn.setRequestMethod("POST");
        conn.setRequestProperty("X-Merchant", merchantId);
        try (InputStream body = conn.getInputStream()) {
            return conn.getResponseCode();
        }
    }

    public int chargeWithRetry(String orderId, long cents)
            throws InterruptedException {
        for (int attempt = 1; attempt <= 3; attempt++) {  // @flaw resilience
            try {
                return charge(orderId, cents);
            } catch (IOException e) {
                Thread.sleep(500);
            }
        }
        return -1;
    }

    public void archiveReceipt(String orderId) throws IOException {
        Runtime.getRuntime().exec("sh -c 'gzip receipts/" + orderId + "'");  // @flaw security
    }
}
