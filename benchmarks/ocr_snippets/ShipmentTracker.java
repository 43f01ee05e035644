package com.example.logistics;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

public class ShipmentTracker {
    private final List<Shipment> shipments = new ArrayList<>();
    private final Duration overdueAfter;

    public ShipmentTracker(Duration overdueAfter) {
        this.overdueAfter = overdueAfter;
    }

    public void register(Shipment shipment) {
        if (shipment == null) {
            throw new IllegalArgumentException("shipment must not be null");
        }
        shipments.add(shipment);
    }

    public Optional<Shipment> find(String trackingId) {
        return shipments.stream()
                .filter(s -> s.trackingId().equals(trackingId))
                .findFirst();
    }

    public List<Shipment> overdue(Instant now) {
        List<Shipment> late = new ArrayList<>();
        for (Shipment shipment : shipments) {
            if (Duration.between(shipment.sentAt(), now).compareTo(overdueAfter) > 0) {
                late.add(shipment);
            }
        }
        System.out.println("overdue shipments: " + late.size());
        return late;
    }
}
