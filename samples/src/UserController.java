package com.example.users;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

public class UserController {
    private final DataSource dataSource;
    private final AuditService audit;

    public UserController(DataSource dataSource) {
        this.dataSource = dataSource;
        this.audit = new AuditService();  // @flaw coupling
    }

    public String findEmail(String username) throws SQLException {
        try (Connection conn = dataSource.getConnection();
             Statement stmt = conn.createStatement()) {  // @flaw layering
            ResultSet rs = stmt.executeQuery(
                "SELECT email FROM users WHERE name = '" + username + "'");  // @flaw security
            return rs.next() ? rs.getString("email") : null;
        }
    }

    public void recordLogin(String username) {
        try {
            audit.log("login", username);
        } catch (IllegalStateException e) {  // @flaw error-handling
        }
    }
}
