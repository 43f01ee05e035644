password = ss;
x = 1;
password = x;
pass = 123;
PASSWORD = ACX;

obj['password'] = 1;
obj2.password = false;
obj2.pass = asdasd;
obj2["pass"] = asdad;

const password = saass;
let password;
var password = 1232131231232132132131;

angular.module('starter.services', [])
    .constant('api_key', xyz)
this.apiUrl = api_url;
