# host gpu1
ip netns add mh-server0
ip netns add mh-server1
ip netns add mh-rail0
ip netns add mh-rail1
ip netns add mh-spine0
ip netns add mh-spine1
ip netns add mh-mgmt
ip netns exec mh-server0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh-server1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh-rail0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh-rail1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh-spine1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh-mgmt sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add server2 netns mh-rail0 mtu 8950 type vxlan id 10008 local 192.0.2.1 remote 192.0.2.2 dstport 4789 dev eth1
ip link add server3 netns mh-rail0 mtu 8950 type vxlan id 10010 local 192.0.2.1 remote 192.0.2.2 dstport 4789 dev eth1
ip link add server2 netns mh-rail1 mtu 8950 type vxlan id 10009 local 192.0.2.1 remote 192.0.2.2 dstport 4789 dev eth1
ip link add server3 netns mh-rail1 mtu 8950 type vxlan id 10011 local 192.0.2.1 remote 192.0.2.2 dstport 4789 dev eth1
ip link add vxmgmt1 netns mh-mgmt mtu 1450 type vxlan id 9999 local 192.0.2.1 remote 192.0.2.2 dstport 4789 dev eth1
ip -n mh-server0 link add rail0 mtu 9000 type veth peer name server0 mtu 9000 netns mh-rail0
ip -n mh-server0 link add rail1 mtu 9000 type veth peer name server0 mtu 9000 netns mh-rail1
ip -n mh-server0 link add mgmt0 mtu 1450 type veth peer name server0 mtu 1450 netns mh-mgmt
ip -n mh-server1 link add rail0 mtu 9000 type veth peer name server1 mtu 9000 netns mh-rail0
ip -n mh-server1 link add rail1 mtu 9000 type veth peer name server1 mtu 9000 netns mh-rail1
ip -n mh-server1 link add mgmt0 mtu 1450 type veth peer name server1 mtu 1450 netns mh-mgmt
ip -n mh-rail0 link add spine0 mtu 9000 type veth peer name rail0 mtu 9000 netns mh-spine0
ip -n mh-rail0 link add spine1 mtu 9000 type veth peer name rail0 mtu 9000 netns mh-spine1
ip -n mh-rail1 link add spine0 mtu 9000 type veth peer name rail1 mtu 9000 netns mh-spine0
ip -n mh-rail1 link add spine1 mtu 9000 type veth peer name rail1 mtu 9000 netns mh-spine1
ip -n mh-mgmt link add mgmt mtu 1450 type bridge
ip -n mh-server0 link set lo alias aifabric-fabric:mh
ip -n mh-server0 link set lo up
ip -n mh-server0 link set rail0 up
ip -n mh-server0 link set rail1 up
ip -n mh-server0 link set mgmt0 up
ip -n mh-server0 addr add 10.0.0.5/31 dev rail0
ip -n mh-server0 addr add 10.0.0.21/31 dev rail1
ip -n mh-server0 addr add 172.31.0.10/16 dev mgmt0
ip -n mh-server0 route add 10.0.0.0/28 via 10.0.0.4 dev rail0
ip -n mh-server0 route add 10.0.0.16/28 via 10.0.0.20 dev rail1
ip -n mh-server0 route add 10.0.0.0/16 nexthop via 10.0.0.4 dev rail0 nexthop via 10.0.0.20 dev rail1
ip -n mh-server1 link set lo alias aifabric-fabric:mh
ip -n mh-server1 link set lo up
ip -n mh-server1 link set rail0 up
ip -n mh-server1 link set rail1 up
ip -n mh-server1 link set mgmt0 up
ip -n mh-server1 addr add 10.0.0.7/31 dev rail0
ip -n mh-server1 addr add 10.0.0.23/31 dev rail1
ip -n mh-server1 addr add 172.31.0.11/16 dev mgmt0
ip -n mh-server1 route add 10.0.0.0/28 via 10.0.0.6 dev rail0
ip -n mh-server1 route add 10.0.0.16/28 via 10.0.0.22 dev rail1
ip -n mh-server1 route add 10.0.0.0/16 nexthop via 10.0.0.6 dev rail0 nexthop via 10.0.0.22 dev rail1
ip -n mh-rail0 link set lo alias aifabric-fabric:mh
ip -n mh-rail0 link set lo up
ip -n mh-rail0 link set server0 up
ip -n mh-rail0 link set server1 up
ip -n mh-rail0 link set spine0 up
ip -n mh-rail0 link set spine1 up
ip -n mh-rail0 link set server2 up
ip -n mh-rail0 link set server3 up
ip -n mh-rail0 addr add 10.0.0.1/31 dev spine0
ip -n mh-rail0 addr add 10.0.0.3/31 dev spine1
ip -n mh-rail0 addr add 10.0.0.4/31 dev server0
ip -n mh-rail0 addr add 10.0.0.6/31 dev server1
ip -n mh-rail0 addr add 10.0.0.8/31 dev server2
ip -n mh-rail0 addr add 10.0.0.10/31 dev server3
ip -n mh-rail0 route add 10.0.0.0/16 nexthop via 10.0.0.0 dev spine0 nexthop via 10.0.0.2 dev spine1
ip -n mh-rail1 link set lo alias aifabric-fabric:mh
ip -n mh-rail1 link set lo up
ip -n mh-rail1 link set server0 up
ip -n mh-rail1 link set server1 up
ip -n mh-rail1 link set spine0 up
ip -n mh-rail1 link set spine1 up
ip -n mh-rail1 link set server2 up
ip -n mh-rail1 link set server3 up
ip -n mh-rail1 addr add 10.0.0.17/31 dev spine0
ip -n mh-rail1 addr add 10.0.0.19/31 dev spine1
ip -n mh-rail1 addr add 10.0.0.20/31 dev server0
ip -n mh-rail1 addr add 10.0.0.22/31 dev server1
ip -n mh-rail1 addr add 10.0.0.24/31 dev server2
ip -n mh-rail1 addr add 10.0.0.26/31 dev server3
ip -n mh-rail1 route add 10.0.0.0/16 nexthop via 10.0.0.16 dev spine0 nexthop via 10.0.0.18 dev spine1
ip -n mh-spine0 link set lo alias aifabric-fabric:mh
ip -n mh-spine0 link set lo up
ip -n mh-spine0 link set rail0 up
ip -n mh-spine0 link set rail1 up
ip -n mh-spine0 addr add 10.0.0.0/31 dev rail0
ip -n mh-spine0 addr add 10.0.0.16/31 dev rail1
ip -n mh-spine0 route add 10.0.0.0/28 via 10.0.0.1 dev rail0
ip -n mh-spine0 route add 10.0.0.16/28 via 10.0.0.17 dev rail1
ip -n mh-spine1 link set lo alias aifabric-fabric:mh
ip -n mh-spine1 link set lo up
ip -n mh-spine1 link set rail0 up
ip -n mh-spine1 link set rail1 up
ip -n mh-spine1 addr add 10.0.0.2/31 dev rail0
ip -n mh-spine1 addr add 10.0.0.18/31 dev rail1
ip -n mh-spine1 route add 10.0.0.0/28 via 10.0.0.3 dev rail0
ip -n mh-spine1 route add 10.0.0.16/28 via 10.0.0.19 dev rail1
ip -n mh-mgmt link set lo alias aifabric-fabric:mh
ip -n mh-mgmt link set server0 master mgmt
ip -n mh-mgmt link set server1 master mgmt
ip -n mh-mgmt link set vxmgmt1 master mgmt
ip -n mh-mgmt link set lo up
ip -n mh-mgmt link set server0 up
ip -n mh-mgmt link set server1 up
ip -n mh-mgmt link set mgmt up
ip -n mh-mgmt link set vxmgmt1 up
tc -n mh-rail0 qdisc add dev spine0 root handle 1: htb default 1
tc -n mh-rail0 class add dev spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail0 qdisc add dev spine1 root handle 1: htb default 1
tc -n mh-rail0 class add dev spine1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail0 qdisc add dev server0 root handle 1: htb default 1
tc -n mh-rail0 class add dev server0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail0 qdisc add dev server1 root handle 1: htb default 1
tc -n mh-rail0 class add dev server1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail0 qdisc add dev server2 root handle 1: htb default 1
tc -n mh-rail0 class add dev server2 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail0 qdisc add dev server3 root handle 1: htb default 1
tc -n mh-rail0 class add dev server3 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail1 qdisc add dev spine0 root handle 1: htb default 1
tc -n mh-rail1 class add dev spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail1 qdisc add dev spine1 root handle 1: htb default 1
tc -n mh-rail1 class add dev spine1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail1 qdisc add dev server0 root handle 1: htb default 1
tc -n mh-rail1 class add dev server0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail1 qdisc add dev server1 root handle 1: htb default 1
tc -n mh-rail1 class add dev server1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail1 qdisc add dev server2 root handle 1: htb default 1
tc -n mh-rail1 class add dev server2 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-rail1 qdisc add dev server3 root handle 1: htb default 1
tc -n mh-rail1 class add dev server3 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-spine0 qdisc add dev rail0 root handle 1: htb default 1
tc -n mh-spine0 class add dev rail0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-spine0 qdisc add dev rail1 root handle 1: htb default 1
tc -n mh-spine0 class add dev rail1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-spine1 qdisc add dev rail0 root handle 1: htb default 1
tc -n mh-spine1 class add dev rail0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh-spine1 qdisc add dev rail1 root handle 1: htb default 1
tc -n mh-spine1 class add dev rail1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
# host gpu2
ip netns add mh-server2
ip netns add mh-server3
ip netns add mh-mgmt1
ip netns exec mh-server2 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh-server3 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh-mgmt1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add rail0 netns mh-server2 mtu 8950 type vxlan id 10008 local 192.0.2.2 remote 192.0.2.1 dstport 4789 dev eth1
ip link add rail1 netns mh-server2 mtu 8950 type vxlan id 10009 local 192.0.2.2 remote 192.0.2.1 dstport 4789 dev eth1
ip link add rail0 netns mh-server3 mtu 8950 type vxlan id 10010 local 192.0.2.2 remote 192.0.2.1 dstport 4789 dev eth1
ip link add rail1 netns mh-server3 mtu 8950 type vxlan id 10011 local 192.0.2.2 remote 192.0.2.1 dstport 4789 dev eth1
ip link add vxmgmt netns mh-mgmt1 mtu 1450 type vxlan id 9999 local 192.0.2.2 remote 192.0.2.1 dstport 4789 dev eth1
ip -n mh-server2 link add mgmt0 mtu 1450 type veth peer name server2 mtu 1450 netns mh-mgmt1
ip -n mh-server3 link add mgmt0 mtu 1450 type veth peer name server3 mtu 1450 netns mh-mgmt1
ip -n mh-mgmt1 link add mgmt mtu 1450 type bridge
ip -n mh-server2 link set lo alias aifabric-fabric:mh
ip -n mh-server2 link set lo up
ip -n mh-server2 link set rail0 up
ip -n mh-server2 link set rail1 up
ip -n mh-server2 link set mgmt0 up
ip -n mh-server2 addr add 10.0.0.9/31 dev rail0
ip -n mh-server2 addr add 10.0.0.25/31 dev rail1
ip -n mh-server2 addr add 172.31.0.12/16 dev mgmt0
ip -n mh-server2 route add 10.0.0.0/28 via 10.0.0.8 dev rail0
ip -n mh-server2 route add 10.0.0.16/28 via 10.0.0.24 dev rail1
ip -n mh-server2 route add 10.0.0.0/16 nexthop via 10.0.0.8 dev rail0 nexthop via 10.0.0.24 dev rail1
ip -n mh-server3 link set lo alias aifabric-fabric:mh
ip -n mh-server3 link set lo up
ip -n mh-server3 link set rail0 up
ip -n mh-server3 link set rail1 up
ip -n mh-server3 link set mgmt0 up
ip -n mh-server3 addr add 10.0.0.11/31 dev rail0
ip -n mh-server3 addr add 10.0.0.27/31 dev rail1
ip -n mh-server3 addr add 172.31.0.13/16 dev mgmt0
ip -n mh-server3 route add 10.0.0.0/28 via 10.0.0.10 dev rail0
ip -n mh-server3 route add 10.0.0.16/28 via 10.0.0.26 dev rail1
ip -n mh-server3 route add 10.0.0.0/16 nexthop via 10.0.0.10 dev rail0 nexthop via 10.0.0.26 dev rail1
ip -n mh-mgmt1 link set lo alias aifabric-fabric:mh
ip -n mh-mgmt1 link set server2 master mgmt
ip -n mh-mgmt1 link set server3 master mgmt
ip -n mh-mgmt1 link set vxmgmt master mgmt
ip -n mh-mgmt1 link set lo up
ip -n mh-mgmt1 link set server2 up
ip -n mh-mgmt1 link set server3 up
ip -n mh-mgmt1 link set mgmt up
ip -n mh-mgmt1 link set vxmgmt up
