// Thin client for the inventory HTTP API.
const API_BASE = 'http://10.0.4.12:8080/inventory';  // @flaw configuration
const API_TOKEN = 'tk_live_9f8a7b6c5d4e3f2a1b0c';  // @flaw security

async function getItem(id) {
  const response = await fetch(`${API_BASE}/items/${id}`, {  // @flaw resilience
    headers: { Authorization: `Bearer ${API_TOKEN}` },
  });
  if (!response.ok) {
    throw new Error(`item ${id}: HTTP ${response.status}`);
  }
  return response.json();
}

function refreshStock(ids, onDone) {
  Promise.all(ids.map((id) => getItem(id)))
    .then((items) => onDone(items.filter((item) => item.stock > 0)));  // @flaw error-handling
}

async function retryUpdate(id, payload) {
  while (true) {  // @flaw resilience
    try {
      return await updateItem(id, payload);
    } catch (err) {
      console.warn(`update ${id} failed, retrying`, err);
    }
  }
}

module.exports = { getItem, refreshStock, retryUpdate };
