import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class InventoryService {
    private static Map<String, Integer> stockCache = new HashMap<>();  // @flaw caching
    private static int reservations = 0;
    private final StockRepository repository;

    public InventoryService(StockRepository repository) {
        this.repository = repository;
    }

    public int stockFor(String sku) {
        if (!stockCache.containsKey(sku)) {  // @flaw concurrency
            stockCache.put(sku, repository.load(sku));
        }
        return stockCache.get(sku);
    }

    public void reserve(String sku) {
        try {
            repository.reserve(sku);
            reservations++;  // @flaw concurrency
        } catch (Throwable t) {  // @flaw error-handling
            throw new IllegalStateException("reserve failed: " + sku, t);
        }
    }

    public int duplicatePairs(List<String> skus) {
        int pairs = 0;
        for (String a : skus) {
            for (String b : skus) {  // @flaw performance
                if (a != b && a.equals(b)) pairs++;
            }
        }
        return pairs;
    }
}
