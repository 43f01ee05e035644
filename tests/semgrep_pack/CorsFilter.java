// Round 13 cases: a filter echoing the request's Origin.
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

class CorsFilter {
    void allow(HttpServletRequest request, HttpServletResponse response) {
        // ruleid: java-cors-reflected-origin
        response.setHeader("Access-Control-Allow-Origin", request.getHeader("Origin"));
        response.setHeader("Access-Control-Allow-Credentials", "true");
    }

    void allowListed(HttpServletRequest request, HttpServletResponse response) {
        String origin = request.getHeader("origin");
        // ruleid: java-cors-reflected-origin
        response.addHeader("Access-Control-Allow-Origin", origin);
    }

    void allowOne(HttpServletResponse response) {
        // ok: java-cors-reflected-origin
        response.setHeader("Access-Control-Allow-Origin", "https://app.example.com");
    }
}

class RedirectGuard {
    void next(HttpServletRequest request, HttpServletResponse response) throws java.io.IOException {
        String url = request.getParameter("url");
        if (SecurityUtil.checkURL(url) == null) {
            response.setStatus(HttpServletResponse.SC_FORBIDDEN);
            return;
        }
        // ok: java-open-redirect
        response.sendRedirect(url);
    }

    void unchecked(HttpServletRequest request, HttpServletResponse response) throws java.io.IOException {
        String url = request.getParameter("url");
        // ruleid: java-open-redirect
        response.sendRedirect(url);
    }
}
